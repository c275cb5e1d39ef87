package migrate

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/migrator"
	"gorm.io/gorm/schema"

	tenantplugin "github.com/tenantrouter/tenantplugin"
)

// step is one table of a migration: its model, and the names of the
// foreign keys on its table that GORM would create and that stay, those
// whose referenced table is on the same database.
type step struct {
	model any
	table string
	// cut tells that some of GORM's foreign keys on this table point at
	// another database's table and are left out.
	cut  bool
	keep []string
}

// plan is what AutoMigrate runs: the steps of each reserved alias, and
// those of every tenant, each in GORM's order.
type plan struct {
	aliasList []string // sorted
	reserved  map[string][]step
	tenant    []step
	// fingerprints of each database's schema: by alias, "" for a
	// tenant's.
	fingerprints map[string]string
}

// planFingerprints is planMigration with each database's fingerprint.
func planFingerprints(ctx context.Context, db *gorm.DB, models []any) (*plan, error) {
	p, err := planMigration(ctx, db, models)
	if err != nil {
		return nil, err
	}
	p.fingerprints = map[string]string{}
	for alias, steps := range p.reserved {
		if p.fingerprints[alias], err = fingerprint(db, steps); err != nil {
			return nil, err
		}
	}
	if p.fingerprints[""], err = fingerprint(db, p.tenant); err != nil {
		return nil, err
	}
	return p, nil
}

// planMigration lists the tables GORM's AutoMigrate would migrate for
// models on a single database (the models' associations and join tables
// included, in GORM's order), and splits them by where the plugin's
// strategies send them. A foreign key is kept only between two tables of
// the same database.
func planMigration(ctx context.Context, db *gorm.DB, models []any) (*plan, error) {
	for i, m := range models {
		if _, ok := m.(string); ok {
			continue
		}
		if _, err := parse(db, m); err != nil {
			return nil, fmt.Errorf("migrate: model %d (%T): %w", i, m, err)
		}
	}
	if _, ok := tenantplugin.RouteOf(db, tenantplugin.Statement{Context: ctx, Op: tenantplugin.OpMigrate}); !ok {
		return nil, errNoPlugin
	}
	// GORM's own ordering, with the associations it adds, unless the
	// application's config tells GORM to ignore them.
	all := migrator.Migrator{Config: migrator.Config{DB: db.Session(&gorm.Session{})}}.ReorderModels(models, true)

	where := map[*schema.Schema]string{}
	aliasOf := func(m any, sch *schema.Schema) string {
		if a, ok := where[sch]; ok && sch != nil {
			return a
		}
		s := tenantplugin.Statement{Context: ctx, Op: tenantplugin.OpMigrate, Model: m, Schema: sch}
		if t, ok := m.(string); ok {
			s.Model, s.Table = nil, t
		} else if sch != nil {
			s.Table = sch.Table
		}
		route, _ := tenantplugin.RouteOf(db, s)
		alias, _ := route.Alias() // "" for a tenant
		if sch != nil {
			where[sch] = alias
		}
		return alias
	}
	p := &plan{reserved: map[string][]step{}}
	for _, m := range all {
		var sch *schema.Schema // nil for a table name
		if _, ok := m.(string); !ok {
			sch, _ = parse(db, m)
		}
		alias := aliasOf(m, sch)
		st := step{model: m}
		if sch != nil {
			st.table = sch.Table
		} else {
			st.table, _ = m.(string)
		}
		if sch != nil && !db.DisableForeignKeyConstraintWhenMigrating && !db.IgnoreRelationshipsWhenMigrating {
			for _, rel := range sch.Relationships.Relations {
				if rel.Field.IgnoreMigration {
					continue
				}
				c := rel.ParseConstraint()
				if c == nil || c.Schema != sch {
					continue
				}
				ref := c.ReferenceSchema
				if aliasOf(reflect.New(ref.ModelType).Interface(), ref) != alias {
					st.cut = true
					continue
				}
				st.keep = append(st.keep, c.Name)
			}
			slices.Sort(st.keep)
		}
		if alias == "" {
			p.tenant = append(p.tenant, st)
			continue
		}
		if _, seen := p.reserved[alias]; !seen {
			p.aliasList = append(p.aliasList, alias)
		}
		p.reserved[alias] = append(p.reserved[alias], st)
	}
	slices.Sort(p.aliasList)
	return p, nil
}

// parse returns model's schema as db's GORM parses it (join tables
// included, with the names GORM gave them).
func parse(db *gorm.DB, model any) (*schema.Schema, error) {
	stmt := &gorm.Statement{DB: db}
	if err := stmt.Parse(model); err != nil {
		return nil, err
	}
	return stmt.Schema, nil
}
