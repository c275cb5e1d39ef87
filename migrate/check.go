package migrate

import (
	"context"

	"gorm.io/gorm"
)

// Check tells, for each database [AutoMigrate] would migrate with the
// same models, whether it is behind, without changing anything: a
// database whose ledger ([LedgerTable]) has no row for AutoMigrate, or
// one with another fingerprint (the models changed since), is
// [StatusBehind]; the others are [StatusUpToDate]. It costs one query
// per database (two when the ledger is missing). [Report.Behind] lists
// the databases behind.
//
// The error joins those of the databases that could not be read
// ([StatusFailed]), as AutoMigrate's does; a database behind is not an
// error. Options are AutoMigrate's: WithParallel and WithProgress.
func Check(ctx context.Context, db *gorm.DB, tenants []string, models []any, opts ...Option) (*Report, error) {
	return eachDatabase(ctx, db, tenants, models, opts, func(l ledger, fp string, _ []step) (Status, error) {
		return checkOne(l, fp)
	})
}

func checkOne(l ledger, fp string) (Status, error) {
	ok, err := l.current(AutoMigrateStep, fp)
	switch {
	case err != nil:
		return StatusFailed, err
	case ok:
		return StatusUpToDate, nil
	}
	return StatusBehind, nil
}
