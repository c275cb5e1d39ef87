// Package provision creates and deletes tenants, a database each: the
// same code for an application's sign-up handler and for the tenantctl
// command.
//
// # Usage
//
//	srv, err := provision.Postgres(os.Getenv("DATABASE_URL")) // or provision.SQLiteDir(dir)
//	defer srv.Close()
//	p, err := provision.New(provision.Config{
//		Store:  store, // the tenantconfig.Store every instance watches
//		Server: srv,
//		Migrate: func(ctx context.Context, tdb *gorm.DB) error {
//			_, err := migrate.ApplyTo(ctx, db, tdb, migrate.Models(models...))
//			return err
//		},
//		Hooks: []provision.Hook{{Name: "seed", Create: seed}},
//	})
//	cfg, err := p.Create(ctx, "acme.example.com")                    // database acme_example_com_<hash>
//	err = p.Delete(ctx, "acme.example.com", provision.DropDatabase()) // or keep the database
//
// Create makes the database, migrates it, runs the hooks, and publishes
// the tenant in the store last, so that no instance ever routes to a
// half-built database. Delete unpublishes first, waits for the
// database's sessions to end, runs the hooks' Delete, and drops the
// database only when asked ([DropDatabase]). The store is the one place
// every instance learns of a tenant from, written once per Create or
// Delete; the migrations and hooks run in the provisioning process only.
//
// # Names
//
// A tenant's database name is derived from its id ([DatabaseName]):
// lower case [a-z0-9_], within PostgreSQL's 63 bytes, with a hash of the
// id so that two ids never share one, and the same on every run, so that
// a re-run finds the database an earlier one made. [WithDatabase] gives
// a name instead, which [ValidateName] checks. On PostgreSQL names are
// always sent as quoted identifiers.
//
// # Idempotence
//
// Every step can run again: an existing database is created with
// success, migrations and hooks must be idempotent (Config.Migrate with
// migrate's ledger is), a tenant published with the same database is
// left alone, a dropped database drops with success. So a re-run after
// a crash at any step ends consistent: the database exists, is migrated
// and published, or, after Delete with DropDatabase, is gone with its
// record. [WithStepDone] reports each step as it completes.
//
// # Concurrency
//
// A Provisioner is safe for concurrent use. On PostgreSQL ([Locker]),
// Create and Delete hold a lock per tenant on the server, so two runs
// for one tenant (a retried sign-up, two operators) never interleave:
// the second waits and finds the work done. Two tenants given one
// database name at the same instant are not kept apart beyond the check
// of the store (ErrInUse); give explicit names from one place.
//
// # Errors
//
// Bad input ([ErrInvalidName], tenant.ErrInvalidID, an id the store
// holds with another database, [ErrExists], a database another tenant
// uses, [ErrInUse]) is refused before anything is created or changed.
// A failure part way leaves the tenant unpublished (Create) or
// unpublished with its database (Delete), and says which step failed;
// run the call again. Errors about a tenant are *tenant.Error values
// naming it; no error or log holds a DSN or a password.
package provision
