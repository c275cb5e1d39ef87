package tenantplugin

// This file holds only guardStep's wrapper. Its name ends in .gen.go
// because GORM's logger names, for each statement, the first caller that
// is neither GORM's code nor a file so named (gorm.io/gorm/utils,
// CallerFrame). The statements an association saves inside a Create,
// Update or Delete run under this wrapper: in any other file it would
// be the caller the log names, instead of the application's line.

import "gorm.io/gorm"

// guardStep returns step wrapped so that a panic going through it rolls
// back GORM's implicit write transaction (see rollBackOnPanic).
func guardStep(step func(*gorm.DB)) func(*gorm.DB) {
	return func(db *gorm.DB) {
		defer rollBackPanicking(db)
		step(db)
	}
}
