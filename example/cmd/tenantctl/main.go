// Command tenantctl manages the tenants of a service: their configs in
// the Redis config store, which every running instance of the service
// sees within milliseconds, and, with create and delete, their
// databases; exec runs a single-tenant tool on a tenant's database.
//
//	tenantctl [-service hospital] [-redis URL] [-prefix tenantplugin] [-data DIR] COMMAND
//
//	create ID [--db NAME]      make the tenant's database, migrate it, run the
//	                           application's hooks, then publish it in the store
//	delete ID [--drop-database] [--db NAME] [--drain-timeout 30s]
//	                           unpublish the tenant, wait for its database's
//	                           sessions to end, run the delete hooks, and drop
//	                           the database if asked
//	load FILE [--dry-run]      make the store hold exactly the file's tenants
//	add ID (--dsn URL | --set KEY=VALUE ...)     add a tenant (fails if it exists)
//	update ID (--dsn URL | --set KEY=VALUE ...)  replace a tenant's config
//	                           (add and update warn when they cannot connect
//	                           to the tenant's PostgreSQL database, unless
//	                           --no-connect; they publish it all the same)
//	remove ID                  remove a tenant from the store (its database stays)
//	list                       tenant ids, one per line
//	show ID                    a tenant's config, passwords redacted
//	exec ID [-v] -- COMMAND [ARGS...]
//	                           run COMMAND with the tenant's database settings
//	exec --all [--parallel N] [-v] -- COMMAND [ARGS...]
//	                           run COMMAND for every tenant of the service
//
// create and delete provision tenants as the application's sign-up
// handler does (package provision), with the example application's
// models and hooks (example/hospital). The database server is
// $DATABASE_URL's PostgreSQL server (its user needs CREATEDB); a tenant's
// database is named after its id (lower case, a-z 0-9 _, with a hash of
// the id: tenant-1.localhost gets tenant_1_localhost_<12 hex digits>) or
// --db NAME, and is published as that name alone, which instances merge
// over their own DATABASE_URL. With DATABASE_URL unset, or a SQLite URL
// (sqlite:PATH), tenants are SQLite files in -data DIR. Both commands can
// be run again after a failure or an interruption at any step, and end
// with the tenant fully there or fully gone; create of a tenant that
// exists with its database, and delete --drop-database of one that is
// gone, change nothing and succeed. delete of an id neither in the store
// nor with a database is refused (a mistyped id).
//
// exec runs an existing single-tenant tool (psql, pg_dump, a script) on
// a tenant's database, which it finds as the application's instances do:
// the tenant's orm_config.gorm.default database (its primary) merged over
// $DATABASE_URL, checked as an instance checks it. COMMAND gets
// tenantctl's environment with TENANT_ID and DATABASE_URL set over it;
// for PostgreSQL, DATABASE_URL is a postgres:// URL with the password,
// and PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD are set too, with
// PGSSLMODE, PGAPPNAME, PGOPTIONS (run-time parameters such as
// search_path, as -c NAME=VALUE) and other libpq variables when the
// tenant's settings have them. With $DATABASE_URL unset or sqlite:, tenants
// are SQLite files and DATABASE_URL is sqlite:PATH (the file named in the
// tenant's config, without its pragmas). Passwords are only ever in
// COMMAND's environment: never on a command line, never printed (-v
// prints the URL with the password masked). For one tenant, COMMAND gets
// tenantctl's stdin, stdout and stderr, and tenantctl exits with its exit
// status (128+N when a signal N killed it, 127 when it is not found, 126
// when it cannot be run); SIGINT and SIGQUIT are left to COMMAND (a
// terminal sends them to it too) and SIGTERM is passed on to it. An
// unknown tenant is refused, exit status 1, with nothing run. --all
// runs COMMAND for each tenant in id order, N at a time (default 1),
// with no stdin; with N > 1 each line of output is prefixed with "ID: ".
// SIGINT or SIGTERM stops it from starting more: running commands get
// SIGTERM, and SIGKILL 10 s later. A summary goes to stderr: the ok and
// failed counts, each failed tenant with its exit status, the tenants
// not run; the exit status is 1 unless every command exited 0.
//
// The Redis URL defaults to $REDIS_URL. It names one node
// (redis://[:PASSWORD@]HOST:PORT/DB), a master behind Sentinel
// (redis://[:SENTINEL_PASSWORD@]SENTINEL:PORT/DB?master_name=NAME&addr=SENTINEL2:PORT&password=PASSWORD)
// or a Cluster (redis://[:PASSWORD@]NODE:PORT?addr=NODE2:PORT&addr=...). --set takes deployment keys of
// the file's mapping_metadata (saved by load), such as
// POSTGRES_URL=postgres://... No password is ever printed. Exit status:
// 0 done, 1 rejected or failed (a create or delete that failed part way
// says which step; run it again), 2 usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tenantrouter/tenantplugin/provision"
)

// Exit statuses.
const (
	exitOK       = 0
	exitRejected = 1
	exitUsage    = 2
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// usageError is a command line that cannot be run.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitStatus makes tenantctl exit with code: exec's, which exits as its
// command did. err, when set, is printed; without it the command (or
// exec's summary) has said why.
type exitStatus struct {
	code int
	err  error
}

func (e exitStatus) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

func (e exitStatus) Unwrap() error { return e.err }

// run runs tenantctl and returns its exit status. extra are given to
// create's and delete's provisioner after tenantctl's own options (tests
// stop it between steps with provision.WithStepDone).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, extra ...provision.Option) int {
	err := dispatch(ctx, args, getenv, stdout, stderr, extra)
	var (
		ue usageError
		es exitStatus
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &es):
		if es.err != nil {
			fmt.Fprintf(stderr, "tenantctl: %v\n", es.err)
		}
		return es.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "tenantctl: %v\n\n%s", err, usage)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "tenantctl: %v\n", err)
		return exitRejected
	}
}

const usage = `usage: tenantctl [-service NAME] [-redis URL] [-prefix PREFIX] [-data DIR] COMMAND
  create ID [--db NAME]
  delete ID [--drop-database] [--db NAME] [--drain-timeout DURATION]
  load FILE [--dry-run]
  add ID (--dsn URL | --set KEY=VALUE ...) [--orm gorm] [--alias default] [--allow-shared-database] [--no-connect]
  update ID (--dsn URL | --set KEY=VALUE ...) [--orm gorm] [--alias default] [--allow-shared-database] [--no-connect]
  remove ID
  list
  show ID
  exec ID [-v] -- COMMAND [ARGS...]
  exec --all [--parallel N] [-v] -- COMMAND [ARGS...]
`
