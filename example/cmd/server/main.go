// Command server is the example application: a hospital dashboard with
// one database per tenant, the tenant taken from the request's host
// (tenant-1.localhost:9500, tenant-2.localhost:9500: *.localhost names
// reach loopback with no /etc/hosts entry).
//
//	server [-addr :9500] [-service hospital] [-data DIR]
//
// With no REDIS_URL it runs the embedded default, with nothing else
// installed: the tenants of example/tenant_config.json for the service,
// held in an in-process config store that tenantsync keeps the resolver
// in step with, each on a SQLite file under DIR/tenants (DIR is -data,
// default ./data), the central database DIR/central.db, all migrated at
// start, each tenant seeded with its hospitals, and an in-process task
// runner for the "add patient" task.
//
// Routes: GET / (the page), GET /api/hospitals, GET /api/patients,
// POST /api/patients ({"name","email"}: 202 once queued for the task
// runner, 400 for a bad body, 409 for an email the tenant has), and
// GET /healthz, which needs no tenant. An unknown host gets
// 404 with a JSON error.
//
// SIGINT or SIGTERM shuts it down: requests in flight finish, queued
// tasks run, then the databases are closed. Exit status: 0 after a clean
// shutdown, 1 on failure, 2 usage.
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
	addr     string
	service  string
	dataDir  string
	redisURL string
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
	fs.StringVar(&s.addr, "addr", ":9500", "address to listen on")
	fs.StringVar(&s.service, "service", "hospital", "service whose tenants are served")
	fs.StringVar(&s.dataDir, "data", "data", "directory of the SQLite databases (embedded default)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: server [-addr :9500] [-service hospital] [-data DIR]\n\n"+
			"Serves the example hospital dashboard; open http://tenant-1.localhost:9500/.\n"+
			"Without REDIS_URL: the tenants of the embedded tenant_config.json on SQLite files in DIR.\n\n")
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
	if s.redisURL != "" {
		fmt.Fprintln(stderr, "server: REDIS_URL is set, but the Redis mode (Redis config store, asynq, PostgreSQL tenants) is not built yet; unset REDIS_URL to run the embedded default")
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

// serve opens the app, serves until ctx is done, then shuts down: the
// HTTP server first, then the task runner (queued tasks run), the
// syncer, the plugin, the resolver and the central database.
func serve(ctx context.Context, s settings, log *slog.Logger, ready func(string)) (err error) {
	a, err := openApp(ctx, s, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.close()) }()
	h, err := web.NewRouter(a.res, web.Handlers{DB: a.db, Tasks: a.tasks, Log: log})
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
	log.Info("serving", "addr", ln.Addr().String(), "service", s.service, "data", s.dataDir,
		"try", "http://tenant-1.localhost"+port(ln.Addr()))
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
