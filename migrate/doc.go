// Package migrate runs migrations across every tenant database, and on
// the reserved databases, for the tenantplugin GORM plugin.
//
// # Usage
//
//	report, err := migrate.AutoMigrate(ctx, db, res.Tenants(), []any{&Hospital{}, &Patient{}},
//		migrate.WithParallel(4))
//
// Models are split with the plugin's strategies (asked with
// tenantplugin.OpMigrate): a model a strategy sends to a reserved alias is
// migrated once on that database; the others on every tenant's.
// [Run] runs any function once per tenant with the tenant in its context.
//
// # Errors
//
// A failing tenant does not stop the others. The returned error joins
// one *tenant.Error per failed tenant, and the [Report] says
// what happened to each.
//
// # Concurrency
//
// At most the WithParallel number of tenants run at once (default 1):
// keep it under the resolver's MaxPools.
package migrate
