// Command migrate migrates every tenant database of a service, and its
// central (reserved) databases, with the example application's models
// (package example/hospital) and, optionally, a directory of goose SQL
// migrations. It is an operator's tool for hundreds of tenants: it
// migrates several databases at once, shows progress, never hangs on
// an unreachable database, and ends with a summary of every database.
//
//	migrate [-service hospital] [-redis URL] [-prefix tenantplugin] [-data DIR]
//	        [--tenant ID ...] [--parallel N] [--continue-on-error]
//	        [--check | --dry-run] [--connect-timeout 5s] [-goose DIR]
//
// With a config store (REDIS_URL, or -redis, in tenantctl's URL forms:
// one node, Sentinel or Cluster) the tenants are those the store holds
// for the service, read once (no watcher), and DATABASE_URL names the
// central PostgreSQL database, which is also the template every
// tenant's settings are merged over. Without a store it migrates the
// embedded default: the tenants of example/tenant_config.json, each on
// a SQLite file under DIR/tenants, and the central database DIR/central.db
// (DIR is -data, default ./data).
//
//	--tenant ID          migrate only this tenant (repeatable); the
//	                     reserved databases are migrated all the same
//	--parallel N         databases migrated at once (0: derived from
//	                     the resolver's pool and connection budget)
//	--continue-on-error  migrate the others when one fails (default:
//	                     the first failure stops those not yet started)
//	--check              change nothing; list the databases behind
//	--dry-run            change nothing; print the plan and the targets
//	--connect-timeout D  give up on a database not answering within D
//	-goose DIR           then apply the goose migrations in DIR
//
// Progress goes to standard error: a bar on a terminal, a line per
// database otherwise. The summary table goes to standard output.
// Passwords are never printed. Exit status: 0 every database migrated
// (or up to date), 1 a database failed or was skipped (with --check: or
// is behind), 2 usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	// The first interrupt stops the databases not started yet (reported
	// skipped); a second one, the default again, ends the process.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a command line that cannot be run.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errIncomplete says that some database was not migrated (or, with
// --check, is behind): the summary has said which.
var errIncomplete = errors.New("incomplete")

// run runs the command and returns its exit status. Progress and errors
// go to stderr, the summary to stdout; stderr gets a progress bar only
// when it is a terminal.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	s, err := parseArgs(args, getenv)
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if err == nil {
		sc := newScrubber(s)
		err = migrateAll(ctx, s, newOutput(stdout, stderr, isTerminal(stderr, getenv), sc))
		if err != nil && !errors.Is(err, errIncomplete) {
			err = scrubbed{err: err, msg: sc.scrub(err.Error())}
		}
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "migrate: %v\n\n%s", err, usage)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "migrate: %v\n", err)
		return exitFailed
	}
}

// scrubbed is an error whose message had its secrets removed.
type scrubbed struct {
	err error
	msg string
}

func (e scrubbed) Error() string { return e.msg }
func (e scrubbed) Unwrap() error { return e.err }

const usage = `usage: migrate [-service NAME] [-redis URL] [-prefix PREFIX] [-data DIR] [flags]
  --tenant ID          migrate only this tenant (repeatable)
  --parallel N         databases at once (0: from the resolver's budget)
  --continue-on-error  keep going after a failure (default: stop starting new ones)
  --check              change nothing; exit 1 if a database is behind
  --dry-run            change nothing; print the plan and the targets
  --connect-timeout D  per-database connect timeout (default 5s)
  -goose DIR           then apply the goose migrations in DIR
Environment: REDIS_URL (the config store; without it, the embedded
example tenants on SQLite files in -data, default ./data), DATABASE_URL
(the central PostgreSQL database and the tenants' template).
Exit status: 0 all migrated, 1 a database failed or is behind, 2 usage.
`
