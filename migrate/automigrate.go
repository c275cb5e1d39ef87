package migrate

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/tenantrouter/tenantplugin/reserved"
)

var errNoPlugin = errors.New("migrate: the *gorm.DB has no tenantplugin installed")

// AutoMigrate migrates models as GORM's AutoMigrate does on a single
// database, each table on the database the plugin's strategies send it
// to: a reserved alias's tables once on that alias, the others on every
// tenant, as [ForEach] does. The tables GORM adds for associations (the
// models they point at, many2many join tables) are migrated too, where
// the strategies send them.
//
// Each database gets exactly the schema plain GORM makes for its tables,
// foreign keys and their ON DELETE and ON UPDATE actions included, but
// for the foreign keys that would point at a table of another database
// (a tenant's table referencing a central one): those are left out.
//
// Each database's ledger ([LedgerTable]) records a fingerprint of the
// schema planned for it: a database whose ledger already has it is left
// alone and reported [StatusUpToDate], at the cost of one query. The
// others are migrated in one transaction holding the database's lock (a
// PostgreSQL advisory lock; SQLite's write lock), so that two runners
// never migrate the same database at once: the second waits, then finds
// the ledger up to date. On PostgreSQL a failed migration leaves the
// database as it was; SQLite rolls back too.
//
// An invalid option, a model GORM cannot parse, or a db without the
// plugin returns a nil Report and migrates nothing.
func AutoMigrate(ctx context.Context, db *gorm.DB, tenants []string, models []any, opts ...Option) (*Report, error) {
	return eachDatabase(ctx, db, tenants, models, opts, func(l ledger, fp string, steps []step) (Status, error) {
		return l.apply(AutoMigrateStep, fp, func(tx *gorm.DB) error {
			return migrateSteps(tx, nil, steps)
		})
	})
}

// eachDatabase plans the migration of models and runs one on each
// database it involves, with that database's ledger, fingerprint and
// steps: first the reserved databases, one after the other, then the
// tenants, as options say. It is what AutoMigrate and Check share.
func eachDatabase(ctx context.Context, db *gorm.DB, tenants []string, models []any, opts []Option,
	one func(l ledger, fp string, steps []step) (Status, error)) (*Report, error) {
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	p, err := planFingerprints(ctx, db, models)
	if err != nil {
		return nil, err
	}
	prog := newProgress(o)
	report := &Report{}
	for _, alias := range p.aliases {
		start := time.Now()
		l := ledger{db: db.WithContext(ctx), exprs: []clause.Expression{reserved.Use(alias)}}
		status, err := one(l, p.fingerprints[alias], p.reserved[alias])
		r := Result{Reserved: alias, Status: status, Err: err, Duration: time.Since(start)}
		report.Results = append(report.Results, r)
		prog.done(r)
	}
	if len(p.tenant) > 0 {
		fp := p.fingerprints[""]
		tr := forEach(ctx, db, tenants, func(_ context.Context, tdb *gorm.DB) (Status, error) {
			return one(ledger{db: tdb}, fp, p.tenant)
		}, o, prog)
		report.Results = append(report.Results, tr.Results...)
	}
	return report, report.err()
}

// migrateSteps does on one database what GORM's AutoMigrate does for
// each step's table, without the foreign keys the step leaves out. db
// with exprs is a session on that database.
//
// GORM's AutoMigrate creates a missing table with its foreign keys, or
// migrates an existing one's columns and adds its missing foreign keys,
// checks and indexes. A table with a foreign key left out is created
// without any, and then given those it keeps; an existing table is
// migrated without GORM's foreign keys, then given the missing ones it
// keeps.
func migrateSteps(db *gorm.DB, exprs []clause.Expression, steps []step) error {
	on := func(set func(*gorm.Config)) gorm.Migrator {
		s := db.Session(&gorm.Session{})
		if set != nil {
			set(s.Config)
		}
		if len(exprs) > 0 {
			s = s.Clauses(exprs...)
		}
		return s.Migrator()
	}
	noForeignKeys := func(c *gorm.Config) { c.DisableForeignKeyConstraintWhenMigrating = true }
	noRelations := func(c *gorm.Config) { c.IgnoreRelationshipsWhenMigrating = true }
	for _, st := range steps {
		m := on(nil)
		if !m.HasTable(st.model) {
			if !st.cut {
				if err := m.CreateTable(st.model); err != nil {
					return err
				}
				continue
			}
			if err := on(noForeignKeys).CreateTable(st.model); err != nil {
				return err
			}
		} else if err := on(noRelations).AutoMigrate(st.model); err != nil {
			return err
		}
		added := false // string models have no constraints to keep
		for _, name := range st.keep {
			if m.HasConstraint(st.model, name) {
				continue
			}
			if err := m.CreateConstraint(st.model, name); err != nil {
				return err
			}
			added = true
		}
		if added {
			if err := restoreIndexes(db, m, st.model); err != nil {
				return err
			}
		}
	}
	return nil
}

// restoreIndexes creates the indexes of model's table that are missing:
// SQLite's migrator adds a foreign key by making the table anew, which
// drops its indexes.
func restoreIndexes(db *gorm.DB, m gorm.Migrator, model any) error {
	sch, err := parse(db, model)
	if err != nil {
		return err
	}
	for _, idx := range sch.ParseIndexes() {
		if m.HasIndex(model, idx.Name) {
			continue
		}
		if err := m.CreateIndex(model, idx.Name); err != nil {
			return err
		}
	}
	return nil
}
