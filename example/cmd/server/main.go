// Command server is the example application: a hospital dashboard with
// one database per tenant, the tenant taken from the request's host
// (tenant-1.localhost:9500, tenant-2.localhost:9500: *.localhost names
// reach loopback with no /etc/hosts entry).
//
//	server [-addr 127.0.0.1:9500] [-service hospital] [-data DIR]
//
// With no REDIS_URL it runs the embedded default, with nothing else
// installed: the tenants of example/tenant_config.json for the service,
// held in an in-process config store that tenantsync keeps the resolver
// in step with, each on a SQLite file under DIR/tenants (DIR is -data,
// default ./data), the central database DIR/central.db, all migrated at
// start, each tenant seeded with its hospitals, and an in-process task
// runner for the "add patient" task.
//
// With REDIS_URL set it runs the full stack (package example/stack),
// and needs DATABASE_URL too:
//
//	REDIS_URL=redis://127.0.0.1:6379/0 \
//	DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/central server
//
// The service's tenants are those of the Redis config store, as
// tenantctl writes them, followed by tenantsync: a tenant created,
// changed or removed with tenantctl is served, moved or refused within
// moments, with no restart. REDIS_URL names one node, a master behind
// Sentinel (?master_name=NAME&addr=...) or a Cluster (?addr=...), as
// tenantctl's. DATABASE_URL is the application's own PostgreSQL
// database, the reserved central one (its models are migrated at start),
// and the template of the tenants' databases: tenantctl create publishes
// a tenant as its database's name, merged over DATABASE_URL. The
// tenants' databases are not migrated at start: tenantctl create
// migrates a new one, example/cmd/migrate all of them. The "add
// patient" task is enqueued on asynq, on the queue named after the
// service, for example/cmd/worker to run; each tenant's hospital list is
// cached in Redis under the tenant's own keys, emptied when a hospital
// is written, and read from the database when Redis does not answer.
//
// Routes: GET / (the page), GET /api/hospitals, GET /api/patients,
// POST /api/patients ({"name","email"}: 202 once queued for the task
// runner, 400 for a bad body, 409 for an email the tenant has, 503 when
// the task queue does not take it), and GET /healthz, which needs no
// tenant. An unknown host gets 404 with a JSON error.
//
// SIGINT or SIGTERM shuts it down: requests in flight finish, queued
// tasks run (embedded default), then the databases are closed. Exit
// status: 0 after a clean shutdown, 1 on failure, 2 usage (REDIS_URL
// without DATABASE_URL, a URL that does not parse).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tenantrouter/tenantplugin/example/web"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// shutdownTimeout bounds the wait for requests in flight at shutdown.
const shutdownTimeout = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// settings are the command line and environment.
type settings struct {
	addr        string
	service     string
	dataDir     string
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
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.addr, "addr", "127.0.0.1:9500", "address to listen on (:9500 for every interface)")
	fs.StringVar(&s.service, "service", "hospital", "service whose tenants are served")
	fs.StringVar(&s.dataDir, "data", "data", "directory of the SQLite databases (embedded default)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: server [-addr 127.0.0.1:9500] [-service hospital] [-data DIR]\n\n"+
			"Serves the example hospital dashboard; open http://tenant-1.localhost:9500/.\n"+
			"Without REDIS_URL: the tenants of the embedded tenant_config.json on SQLite files in DIR.\n"+
			"With REDIS_URL and DATABASE_URL: the tenants of the Redis config store on PostgreSQL, tasks on asynq\n"+
			"(run example/cmd/worker too).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, usagef("unexpected argument %q", fs.Arg(0))
	}
	if s.service == "" {
		return s, usagef("-service must not be empty")
	}
	if s.dataDir == "" {
		return s, usagef("-data must not be empty")
	}
	s.redisURL = getenv("REDIS_URL")
	s.databaseURL = getenv("DATABASE_URL")
	if s.redisURL != "" && s.databaseURL == "" {
		return s, usagef("REDIS_URL is set but DATABASE_URL is not: the Redis mode needs the application's PostgreSQL database, DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/DBNAME (unset REDIS_URL for the embedded default)")
	}
	return s, nil
}

// run runs the server until ctx is done and returns its exit status.
// ready, when not nil, gets the address listened on once the server
// serves.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, ready func(addr string)) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	s, err := parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "server:", err)
		return exitUsage
	}
	if err := serve(ctx, s, log, ready); err != nil {
		fmt.Fprintln(stderr, "server:", err)
		var ue usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		return exitFailed
	}
	return exitOK
}

// serve opens the app (the Redis mode when REDIS_URL is set, else the
// embedded default), serves until ctx is done, then shuts down: the
// HTTP server first, then the task runner (queued tasks run) or the
// asynq client, the syncer, the plugin, the resolver and the central
// database.
func serve(ctx context.Context, s settings, log *slog.Logger, ready func(string)) (err error) {
	open, mode := openApp, "embedded"
	if s.redisURL != "" {
		open, mode = openFull, "redis"
	}
	a, err := open(ctx, s, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.close()) }()
	h, err := web.NewRouter(a.res, web.Handlers{DB: a.db, Tasks: a.tasks, Log: log, Cache: a.cache})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	attrs := []any{"addr", ln.Addr().String(), "mode", mode, "service", s.service, "tenants", len(a.res.Tenants())}
	if mode == "embedded" {
		attrs = append(attrs, "data", s.dataDir)
	}
	log.Info("serving", append(attrs, "try", "http://tenant-1.localhost"+port(ln.Addr()))...)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// port returns ":PORT" of addr.
func port(addr net.Addr) string {
	if t, ok := addr.(*net.TCPAddr); ok {
		return fmt.Sprintf(":%d", t.Port)
	}
	return ""
}
