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
// An invalid option, a model GORM cannot parse, or a db without the
// plugin returns a nil Report and migrates nothing.
func AutoMigrate(ctx context.Context, db *gorm.DB, tenants []string, models []any, opts ...Option) (*Report, error) {
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	p, err := planMigration(ctx, db, models)
	if err != nil {
		return nil, err
	}
	report := &Report{}
	for _, alias := range p.aliases {
		start := time.Now()
		err := migrateSteps(db.WithContext(ctx), []clause.Expression{reserved.Use(alias)}, p.reserved[alias])
		report.Results = append(report.Results, Result{Reserved: alias, Err: err, Duration: time.Since(start)})
	}
	if len(p.tenant) > 0 {
		tr := forEach(ctx, db, tenants, func(_ context.Context, tdb *gorm.DB) error {
			return migrateSteps(tdb, nil, p.tenant)
		}, o)
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
		for _, name := range st.keep {
			if m.HasConstraint(st.model, name) {
				continue
			}
			if err := m.CreateConstraint(st.model, name); err != nil {
				return err
			}
		}
	}
	return nil
}
