package migrate

import (
	"strings"

	"gorm.io/gorm"
)

// migrateSteps does on one database what GORM's AutoMigrate does for
// each step's table, without the foreign keys the step leaves out. db
// is a session on that database.
//
// GORM's AutoMigrate creates a missing table with its foreign keys, or
// migrates an existing one's columns and adds its missing foreign keys,
// checks and indexes. A table with a foreign key left out is created
// without any, and then given those it keeps; an existing table is
// migrated without GORM's foreign keys, then given the missing ones it
// keeps.
func migrateSteps(db *gorm.DB, steps []step) error {
	on := func(set func(*gorm.Config)) gorm.Migrator {
		s := db.Session(&gorm.Session{})
		if set != nil {
			set(s.Config)
		}
		return s.Migrator()
	}
	noForeignKeys := func(c *gorm.Config) { c.DisableForeignKeyConstraintWhenMigrating = true }
	noRelations := func(c *gorm.Config) { c.IgnoreRelationshipsWhenMigrating = true }
	existing, err := tables(db)
	if err != nil {
		return err
	}
	for _, st := range steps {
		m := on(nil)
		has := existing[st.table]
		if existing == nil || strings.Contains(st.table, ".") {
			has = m.HasTable(st.model)
		}
		if !has {
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

// tables returns the names of the tables in db's current schema, as
// GORM's HasTable sees them, in one statement (GORM's HasTable asks
// PostgreSQL's information_schema once per table, which costs a new
// session most); nil for a dialector it does not know.
func tables(db *gorm.DB) (map[string]bool, error) {
	var q string
	switch db.Dialector.Name() {
	case "postgres":
		q = `SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')`
	case "sqlite":
		q = "SELECT name FROM sqlite_master WHERE type = 'table'"
	default:
		return nil, nil
	}
	var names []string
	if err := db.Raw(q).Scan(&names).Error; err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out, nil
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
