package tenantotel

import "gorm.io/gorm"

// LabelSpanForTest runs the tracing callback on db's statement.
func LabelSpanForTest(db *gorm.DB) { labelSpan(db) }
