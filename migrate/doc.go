// Package migrate runs a function on every tenant database, and migrates
// models across the tenant and reserved databases, for the tenantplugin
// GORM plugin.
//
// # Usage
//
// [ForEach] runs any function once per tenant, with the tenant in its
// context: migrations, nightly jobs, reports.
//
//	report, err := migrate.ForEach(ctx, db, res.Tenants(), func(ctx context.Context, db *gorm.DB) error {
//		return db.Exec("DELETE FROM sessions WHERE expires_at < now()").Error
//	}, migrate.WithParallel(4))
//
// [AutoMigrate] splits models with the plugin's strategies (asked with
// [tenantplugin.OpMigrate]): a model a strategy sends to a reserved
// database is migrated once on that database, the others on every
// tenant's.
//
//	report, err := migrate.AutoMigrate(ctx, db, res.Tenants(), []any{&Hospital{}, &Patient{}})
//
// Each database gets the schema plain GORM's AutoMigrate makes for the
// tables sent there (the tables GORM adds for associations and many2many
// join tables included): the same columns, indexes and foreign keys, with
// their ON DELETE and ON UPDATE actions. Only a foreign key that would
// point at another database's table, a tenant's Visit at a central
// Hospital say, is left out.
//
// Each [Result] of the [Report] names either a tenant (Result.Tenant) or
// a reserved database by its alias (Result.Reserved), never both, and
// says what happened there ([Status]: migrated, up to date, failed,
// skipped).
//
// # Ledger and locks
//
// AutoMigrate keeps a ledger in each database it migrates, the table
// [LedgerTable]: one row per migration applied, with a fingerprint of
// the schema planned for that database (its tables, columns with their
// types and tags, indexes, checks and foreign keys, as GORM parses the
// models). A database whose ledger already holds the fingerprint is left
// alone: a re-run with nothing to do costs one query per database and
// reports each [StatusUpToDate]. [Check] reads the ledgers and lists the
// databases behind without changing anything.
//
//	report, err := migrate.Check(ctx, db, tenants, models)
//	for _, r := range report.Behind() { ... }
//
// A database is migrated in one transaction that holds its lock: a
// PostgreSQL advisory lock (pg_advisory_xact_lock), or SQLite's write
// lock. Two runners started at once never migrate the same database
// together: the second waits, then finds the ledger up to date.
//
// [WithProgress] calls a function as each database finishes, for a
// progress bar or a log line.
//
// # Errors
//
// A failing tenant does not stop the others. The returned error joins
// one *[tenant.Error] per failed tenant and one error naming the alias per
// failed reserved database, and the [Report] says what happened to each.
// An invalid [Option] is refused before anything runs: the error names
// it and the Report is nil.
//
// # Concurrency
//
// At most [WithParallel] tenants run at once ([DefaultParallel] by
// default): each holds one of the resolver's pools, so keep it under the
// resolver's MaxPools. fn is called from several goroutines when
// WithParallel is above 1.
package migrate
