// Command tenantctl manages the tenants of a service in the Redis config
// store. Every running instance of the service sees a change within
// milliseconds.
//
//	tenantctl [-service hospital] [-redis URL] [-prefix tenantplugin] COMMAND
//
//	load FILE [--dry-run]      make the store hold exactly the file's tenants
//	add ID (--dsn URL | --set KEY=VALUE ...)     add a tenant (fails if it exists)
//	update ID (--dsn URL | --set KEY=VALUE ...)  replace a tenant's config
//	remove ID                  remove a tenant
//	list                       tenant ids, one per line
//	show ID                    a tenant's config, passwords redacted
//
// The Redis URL defaults to $REDIS_URL. It names one node
// (redis://[:PASSWORD@]HOST:PORT/DB), a master behind Sentinel
// (redis://[:SENTINEL_PASSWORD@]SENTINEL:PORT/DB?master_name=NAME&addr=SENTINEL2:PORT&password=PASSWORD)
// or a Cluster (redis://[:PASSWORD@]NODE:PORT?addr=NODE2:PORT&addr=...). --set takes deployment keys of
// the file's mapping_metadata (saved by load), such as
// POSTGRES_URL=postgres://... Exit status: 0 done, 1 rejected (nothing
// written), 2 usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, getenv, stdout)
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

const usage = `usage: tenantctl [-service NAME] [-redis URL] [-prefix PREFIX] COMMAND
  load FILE [--dry-run]
  add ID (--dsn URL | --set KEY=VALUE ...) [--orm gorm] [--alias default]
  update ID (--dsn URL | --set KEY=VALUE ...) [--orm gorm] [--alias default]
  remove ID
  list
  show ID
`
