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
// [Apply] runs a [Step] on every database it concerns; a step is
//
//   - [Models]: GORM's AutoMigrate, each table where the plugin's
//     strategies (asked with [tenantplugin.OpMigrate]) send it: a model
//     a strategy sends to a reserved database is migrated once on that
//     database, the others on every tenant's ([AutoMigrate] is Apply with
//     Models);
//
//   - [Func]: the application's own function, run once per version in a
//     transaction on each tenant's database;
//
//   - [Goose]: versioned SQL migrations with github.com/pressly/goose/v3,
//     from an fs.FS, on each tenant's *sql.DB;
//
//   - [Sequence]: several of them, in order, on each database.
//
//     tenants, err := migrate.StoreTenants(ctx, store) // straight from the config store
//     report, err := migrate.Apply(ctx, db, tenants, migrate.Sequence(
//     migrate.Models(&Hospital{}, &Patient{}),
//     migrate.Goose(os.DirFS("migrations")),
//     ), migrate.WithFailFast())
//
// Models gives each database the schema plain GORM's AutoMigrate makes
// for the tables sent there (the tables GORM adds for associations and
// many2many join tables included): the same columns, indexes and foreign
// keys, with their ON DELETE and ON UPDATE actions. Only a foreign key
// that would point at another database's table, a tenant's Visit at a
// central Hospital say, is left out.
//
// [ApplyTo] runs a step's tenant part on one database reached directly,
// before any resolver knows the tenant: provisioning builds a new
// tenant's database with it. [Describe] tells what a step would do,
// database by database, without connecting.
//
// Each [Result] of the [Report] names either a tenant (Result.Tenant) or
// a reserved database by its alias (Result.Reserved), never both, and
// says what happened there ([Status]: migrated, up to date, failed,
// skipped).
//
// # Ledger and locks
//
// Each step keeps a ledger in each database it runs on, the table
// [LedgerTable]: one row per step applied, with a fingerprint of what it
// applied (for Models, the schema planned for that database: its tables,
// columns with their types and tags, indexes, checks and foreign keys,
// as GORM parses the models; for Goose, the migration files; for Func,
// its version). A database whose ledger already holds the fingerprint is
// left alone: a re-run with nothing to do costs one query per database
// (whatever the number of steps) and reports each [StatusUpToDate].
// [Check] reads the ledgers and lists the databases behind without
// changing anything.
//
//	report, err := migrate.Check(ctx, db, tenants, migrate.Models(models...))
//	for _, r := range report.Behind() { ... }
//
// A step runs on a database holding its lock: Models and Func in one
// transaction that takes a PostgreSQL advisory lock
// (pg_advisory_xact_lock) or SQLite's write lock; Goose holding the same
// advisory lock on a session of its own (a lock file beside a SQLite
// file). Two runners started at once never migrate the same database
// together: the second waits, then finds the ledger up to date.
//
// The ledger read is also the connection check: a database that does not
// answer within [WithConnectTimeout] is reported failed with
// [ErrUnreachable], and never holds up the run.
//
// [WithProgress] calls a function as each database finishes, for a
// progress bar or a log line.
//
// # Errors
//
// A failing tenant does not stop the others, unless [WithFailFast] is
// given: then the databases not yet started are skipped ([ErrStopped]).
// The returned error joins
// one *[tenant.Error] per failed tenant and one error naming the alias per
// failed reserved database, and the [Report] says what happened to each.
// An invalid [Option] is refused before anything runs: the error names
// it and the Report is nil.
//
// # Concurrency
//
// At most [WithParallel] tenants run at once. By default, a quarter of
// the resolver's pools and an eighth of its connection budget, at most
// [DefaultParallel]: a run leaves most of the budget to the tenants being
// served. fn is called from several goroutines when more than one tenant
// runs at once.
package migrate
