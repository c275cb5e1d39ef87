package main

import (
	"fmt"
	"maps"
	"slices"

	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// checkTemplateDriver refuses, when templateDSN (DATABASE_URL, the
// instances' central database and template) is PostgreSQL's, a data
// source that would be opened with SQLite's driver: every instance opens
// its tenants with its template's driver and would refuse the tenant.
// Without a PostgreSQL template nothing is known of the instances and
// nothing is refused. Errors never quote a DSN.
func checkTemplateDriver(cfg tenantconfig.Config, templateDSN string) error {
	if !pgDSN(templateDSN) {
		return nil
	}
	for _, orm := range slices.Sorted(maps.Keys(cfg.ORM)) {
		aliases := cfg.ORM[orm]
		for _, alias := range slices.Sorted(maps.Keys(aliases)) {
			db := aliases[alias]
			if drv := driverOf(db.Driver, db.DSN, templateDSN); drv != nil && drv.Name() == sqlitedriver.DriverName {
				return fmt.Errorf("orm_config.%s.%s: a SQLite database, but DATABASE_URL is a PostgreSQL database: the instances open every tenant with PostgreSQL's driver; give a postgres:// DSN, or let tenantctl create make the database", orm, alias)
			}
		}
	}
	return nil
}
