// Command worker runs the example application's background tasks: the
// asynq worker of the full stack that example/cmd/server's Redis mode
// enqueues for.
//
//	REDIS_URL=redis://127.0.0.1:6379/0 \
//	DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/central \
//	worker [-service hospital] [-concurrency 4]
//
// It sets up what the server does (package example/stack): the tenants
// of the Redis config store, followed by tenantsync, on PostgreSQL
// databases merged over DATABASE_URL, the plugin with the hospital
// models' strategy, and the central database migrated. It then takes
// the tasks of the asynq queue named after the service, each behind
// tenanttask.Middleware: a task runs with the tenant it was enqueued for
// in its context, so its statements reach that tenant's database; a
// task whose tenant is missing or unknown (removed since) never runs
// and is archived. The "add patient" task (hospital.AddPatientHandler)
// inserts the patient; a patient whose email the tenant has already is
// archived rather than retried.
//
// REDIS_URL names one node, a master behind Sentinel
// (?master_name=NAME&addr=...) or a Cluster (?addr=...), as tenantctl's.
//
// SIGINT or SIGTERM shuts it down: it stops taking tasks and lets those
// running finish (up to 10 seconds; unfinished ones go back to the queue
// for the next worker), then closes the databases. Exit status: 0 after
// a clean shutdown, 1 on failure, 2 usage.
package main

import (
	"context"
	"errors"
	"flag"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// settings are the command line and environment.
type settings struct {
	service     string
	concurrency int
	redisURL    string
	databaseURL string
}

// usageError is a command line that cannot be run.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// parse reads the flags and the environment.
func parse(args []string, getenv func(string) string, stderr io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.service, "service", "hospital", "service whose tasks are run (its asynq queue)")
	fs.IntVar(&s.concurrency, "concurrency", 4, "tasks run at once")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: REDIS_URL=redis://HOST:PORT/DB DATABASE_URL=postgres://... worker [-service hospital] [-concurrency 4]\n\n"+
			"Runs the example hospital service's background tasks, each as the tenant it was enqueued for.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	switch {
	case fs.NArg() > 0:
		return s, usagef("unexpected argument %q", fs.Arg(0))
	case s.service == "":
		return s, usagef("-service must not be empty")
	case s.concurrency < 1:
		return s, usagef("-concurrency %d: give 1 or more", s.concurrency)
	}
	s.redisURL, s.databaseURL = getenv("REDIS_URL"), getenv("DATABASE_URL")
	switch {
	case s.redisURL == "":
		return s, usagef("REDIS_URL is not set: give the Redis of the config store and the tasks, redis://HOST:PORT/DB")
	case s.databaseURL == "":
		return s, usagef("DATABASE_URL is not set: give the application's PostgreSQL database, postgres://USER:PASSWORD@HOST:PORT/DBNAME")
	}
	return s, nil
}

// run runs the worker until ctx is done and returns its exit status.
// ready, when not nil, is called once the worker takes tasks.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, ready func()) int {
	s, err := parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return exitUsage
	}
	if err := work(ctx, s, newLogger(stderr), ready); err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		var ue usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		return exitFailed
	}
	return exitOK
}
