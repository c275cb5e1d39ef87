package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// checkShared refuses a config for tenant id that names a database
// (primary or replica, of any ORM alias) another tenant of the store
// names: every instance would refuse it (resolver.ErrDatabaseShared), so
// it is refused here, as create refuses it. Databases are named as the
// resolver names them, each data source merged over templateDSN (the
// instances' DATABASE_URL). Errors never quote a DSN.
func checkShared(ctx context.Context, store tenantconfig.Store, id string, cfg tenantconfig.Config, templateDSN string) error {
	mine := databasesOf(cfg, templateDSN)
	if len(mine) == 0 {
		return nil
	}
	snap, err := store.Snapshot(ctx)
	if err != nil {
		return err
	}
	for _, other := range slices.Sorted(maps.Keys(snap)) {
		if other == id {
			continue
		}
		theirs := slices.Collect(maps.Values(databasesOf(snap[other].Config, templateDSN)))
		for _, where := range slices.Sorted(maps.Keys(mine)) {
			if db := mine[where]; slices.Contains(theirs, db) {
				return fmt.Errorf("%s: %w: %s serves tenant %q; give each tenant its own database", where, resolver.ErrDatabaseShared, db, other)
			}
		}
	}
	return nil
}

// databasesOf returns the databases cfg names, keyed by where cfg names
// them ("orm_config.gorm.default", "….replicas[0]"); a data source whose database cannot be named (no
// driver recognised, a DSN that does not parse, an in-memory SQLite
// database) is left out.
func databasesOf(cfg tenantconfig.Config, templateDSN string) map[string]string {
	out := map[string]string{}
	for orm, aliases := range cfg.ORM {
		for alias, db := range aliases {
			drv := driverOf(db.Driver, db.DSN, templateDSN)
			if drv == nil {
				continue
			}
			where := "orm_config." + orm + "." + alias
			sources := append([]tenantconfig.DataSource{db.DataSource}, db.Replicas...)
			for i, ds := range sources {
				name := databaseOf(drv, templateDSN, ds)
				if name == "" {
					continue
				}
				w := where
				if i > 0 {
					w = fmt.Sprintf("%s.replicas[%d]", where, i-1)
				}
				out[w] = name
			}
		}
	}
	return out
}

// driverOf returns the driver a data source is opened with: the one it
// names, else PostgreSQL's for a PostgreSQL DSN (or, with no DSN, a
// PostgreSQL template) and SQLite's for a SQLite file; nil if none.
func driverOf(name, dsn, templateDSN string) dbdriver.Driver {
	switch {
	case name == pgdriver.DriverName:
		return pgdriver.New()
	case name == sqlitedriver.DriverName:
		return sqlitedriver.New()
	case name != "":
		return nil
	case dsn == "" && pgDSN(templateDSN):
		return pgdriver.New()
	case dsn == "":
		return nil
	case pgDSN(dsn):
		return pgdriver.New()
	case sqliteFile(dsn):
		return sqlitedriver.New()
	}
	return nil
}

// pgDSN reports whether dsn is a PostgreSQL DSN, as a URL or in the
// keyword/value form.
func pgDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") || (dsn != "" && keywordDSN(dsn))
}

// databaseOf names the database ds reaches with drv, merged over
// templateDSN, or returns "" when it cannot be named.
func databaseOf(drv dbdriver.Driver, templateDSN string, ds tenantconfig.DataSource) string {
	if !pgDSN(templateDSN) || drv.Name() != pgdriver.DriverName {
		templateDSN = ""
	}
	c, err := drv.Connector(templateDSN, ds)
	if err != nil {
		return ""
	}
	if dc, ok := c.(dbdriver.DatabaseConnector); ok {
		return dc.Database()
	}
	return ""
}
