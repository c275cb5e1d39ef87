package tenantplugin

import (
	"context"

	"gorm.io/gorm"
)

// dialector wraps the *gorm.DB's dialector so that savepoints are checked
// like statements (GORM's PostgreSQL and SQLite dialectors run SAVEPOINT
// and ROLLBACK TO with an Exec whose error they drop: a refusal would be
// invisible), and migrations run on the database of their models.
// Everything else is the wrapped dialector's.
type dialector struct {
	gorm.Dialector
	p *Plugin
}

// SavePoint checks the transaction, then lets the wrapped dialector set
// the savepoint.
func (d *dialector) SavePoint(tx *gorm.DB, name string) error {
	sp, ok := d.Dialector.(gorm.SavePointerDialectorInterface)
	if !ok {
		return gorm.ErrUnsupportedDriver
	}
	if err := d.p.checkTxControl(tx); err != nil {
		d.p.refused(err)
		return err
	}
	return sp.SavePoint(txControlOf(tx), name)
}

// RollbackTo checks the transaction, then lets the wrapped dialector roll
// back to the savepoint.
func (d *dialector) RollbackTo(tx *gorm.DB, name string) error {
	sp, ok := d.Dialector.(gorm.SavePointerDialectorInterface)
	if !ok {
		return gorm.ErrUnsupportedDriver
	}
	if err := d.p.checkTxControl(tx); err != nil {
		d.p.refused(err)
		return err
	}
	return sp.RollbackTo(txControlOf(tx), name)
}

// txControl is the context key that marks the statements the wrapped
// dialector sends for SavePoint and RollbackTo, checked above: raw SQL
// that the plugin does not read otherwise (Config.NoTextRouting).
type txControl struct{}

// txControlOf returns a session of tx for the wrapped dialector's
// savepoint statements: a new statement on tx's pool (tx's may be one
// of a hook, with the values of the statement running).
func txControlOf(tx *gorm.DB) *gorm.DB {
	return tx.Session(&gorm.Session{NewDB: true, Context: context.WithValue(tx.Statement.Context, txControl{}, true)})
}

// Migrator returns the wrapped dialector's migrator for db, wrapped so
// that each model's migration runs on the database it belongs to.
func (d *dialector) Migrator(db *gorm.DB) gorm.Migrator {
	return migrator{Migrator: d.Dialector.Migrator(db), p: d.p, d: d.Dialector, db: db}
}

// Translate forwards to the wrapped dialector's error translation, if it
// has one.
func (d *dialector) Translate(err error) error {
	if t, ok := d.Dialector.(gorm.ErrorTranslator); ok {
		return t.Translate(err)
	}
	return err
}

// Unwrap returns the dialector the *gorm.DB was opened with.
func (d *dialector) Unwrap() gorm.Dialector { return d.Dialector }

// OriginalDialector returns the dialector db was opened with. With the
// plugin installed, db.Dialector is a wrapper that checks savepoints;
// code that asserts the dialector's concrete type should use this.
func OriginalDialector(db *gorm.DB) gorm.Dialector {
	if d, ok := db.Dialector.(*dialector); ok {
		return d.Dialector
	}
	return db.Dialector
}

var (
	_ gorm.SavePointerDialectorInterface = (*dialector)(nil)
	_ gorm.ErrorTranslator               = (*dialector)(nil)
)
