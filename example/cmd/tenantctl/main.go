// Command tenantctl manages the tenants of a service: their configs in
// the Redis config store, which every running instance of the service
// sees within milliseconds, and, with create and delete, their
// databases.
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
//	remove ID                  remove a tenant from the store (its database stays)
//	list                       tenant ids, one per line
//	show ID                    a tenant's config, passwords redacted
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

// run runs tenantctl and returns its exit status. extra are given to
// create's and delete's provisioner after tenantctl's own options (tests
// stop it between steps with provision.WithStepDone).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, extra ...provision.Option) int {
	err := dispatch(ctx, args, getenv, stdout, stderr, extra)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
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
  add ID (--dsn URL | --set KEY=VALUE ...) [--orm gorm] [--alias default]
  update ID (--dsn URL | --set KEY=VALUE ...) [--orm gorm] [--alias default]
  remove ID
  list
  show ID
`
