// Command loadserver serves the example dashboard's handlers (package
// example/web) on PostgreSQL in one of two modes, for load tests that
// compare them (scripts/loadbench.sh):
//
//	loadserver -mode single -dsn URL [-db NAME] [-addr ADDR] [-pool N] [-pprof ADDR]
//	loadserver -mode tenant -dsn URL [-central NAME] [-tenant-dbs A,B] [-addr ADDR] [-pool N] [-pprof ADDR]
//
// -mode single is the application before it served tenants: plain GORM
// (gorm.io/driver/postgres) on the one database -db, the routes mounted
// on a chi router with no middleware, no plugin.
//
// -mode tenant is the same application with the plugin: GORM on the
// central database -central with tenantplugin installed, a resolver with
// the pgdriver over the tenant databases -tenant-dbs (the i-th one is the
// database of tenant-i.localhost), their configs held in a memstore that
// tenantsync keeps the resolver in step with, and the routes behind the
// tenant middleware (web.NewRouter), the tenant taken from the Host.
//
// -dsn is the PostgreSQL server's URL; its database is replaced by the
// names above, which must exist. In both modes: the same GORM config
// (logging off), each database pool -pool connections open and idle at
// most with no idle or lifetime limit, each database migrated (the
// hospital models) and given the same hospitals, and no log line per
// request. -pprof serves net/http/pprof on a second address. The Go
// runtime's own GOMAXPROCS applies.
//
// Once it serves it writes one line to stderr, "loadserver: serving
// mode=M addr=HOST:PORT pprof=HOST:PORT|off gomaxprocs=N pool=N", which
// tells a script the ports when the addresses end in :0.
//
// It serves until SIGINT or SIGTERM, then logs each pool's wait count
// (requests that queued for a connection) and exits. Exit status: 0
// after a clean shutdown, 1 on failure, 2 usage.
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
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// shutdownTimeout bounds the wait for requests in flight at shutdown.
const shutdownTimeout = 10 * time.Second

// Modes.
const (
	modeSingle = "single"
	modeTenant = "tenant"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr, nil)
	stop()
	os.Exit(code)
}

// settings are the command line.
type settings struct {
	mode      string
	addr      string
	pprofAddr string
	dsn       string
	db        string
	central   string
	tenantDBs []string
	pool      int
}

// usageError is a command line that cannot be run.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// parse reads the flags.
func parse(args []string, stderr io.Writer) (settings, error) {
	var s settings
	var tenantDBs string
	fs := flag.NewFlagSet("loadserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.mode, "mode", "", "single (plain GORM, no plugin) or tenant (the plugin, two tenants)")
	fs.StringVar(&s.addr, "addr", "127.0.0.1:9600", "address to listen on")
	fs.StringVar(&s.pprofAddr, "pprof", "", "address to serve net/http/pprof on (none when empty)")
	fs.StringVar(&s.dsn, "dsn", "", "PostgreSQL server URL; its database is replaced by the names below")
	fs.StringVar(&s.db, "db", "loadbench_single", "database of -mode single")
	fs.StringVar(&s.central, "central", "loadbench_central", "central database of -mode tenant")
	fs.StringVar(&tenantDBs, "tenant-dbs", "loadbench_tenant_1,loadbench_tenant_2",
		"databases of tenant-1.localhost, tenant-2.localhost, ... in -mode tenant, comma-separated")
	fs.IntVar(&s.pool, "pool", 8, "connections each database pool keeps open and idle at most")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: loadserver -mode single|tenant -dsn URL [flags]\n\n"+
			"Serves the example dashboard's handlers on PostgreSQL, without the plugin (single)\n"+
			"or with it over two tenant databases (tenant), for load tests.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, usagef("unexpected argument %q", fs.Arg(0))
	}
	if s.mode != modeSingle && s.mode != modeTenant {
		return s, usagef("-mode must be %s or %s, got %q", modeSingle, modeTenant, s.mode)
	}
	if s.dsn == "" {
		return s, usagef("-dsn must name the PostgreSQL server")
	}
	if s.pool < 1 {
		return s, usagef("-pool must be at least 1, got %d", s.pool)
	}
	for _, name := range strings.Split(tenantDBs, ",") {
		if name = strings.TrimSpace(name); name != "" {
			s.tenantDBs = append(s.tenantDBs, name)
		}
	}
	switch {
	case s.mode == modeSingle && s.db == "":
		return s, usagef("-db must not be empty")
	case s.mode == modeTenant && s.central == "":
		return s, usagef("-central must not be empty")
	case s.mode == modeTenant && len(s.tenantDBs) == 0:
		return s, usagef("-tenant-dbs must name at least one database")
	}
	return s, nil
}

// run runs the server until ctx is done and returns its exit status.
// ready, when not nil, gets the address listened on once the server
// serves.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) int {
	// Warnings and errors only: nothing is logged per request in either
	// mode.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadserver:", err)
		return exitUsage
	}
	if err := serve(ctx, s, log, stderr, ready); err != nil {
		fmt.Fprintln(stderr, "loadserver:", err)
		return exitFailed
	}
	return exitOK
}

// serve opens the mode's app, serves until ctx is done, shuts down and
// reports the pools' waits on stderr.
func serve(ctx context.Context, s settings, log *slog.Logger, stderr io.Writer, ready func(string)) (err error) {
	a, err := open(ctx, s, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.close()) }()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	lns := []net.Listener{ln}
	servers := []*http.Server{{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second}}
	pprofAt := "off"
	if s.pprofAddr != "" {
		pln, err := net.Listen("tcp", s.pprofAddr)
		if err != nil {
			return errors.Join(err, ln.Close())
		}
		lns = append(lns, pln)
		servers = append(servers, &http.Server{Handler: pprofMux(), ReadHeaderTimeout: 10 * time.Second})
		pprofAt = pln.Addr().String()
	}
	done := make(chan error, len(servers))
	for i, x := range servers {
		go func() { done <- x.Serve(lns[i]) }()
	}
	fmt.Fprintf(stderr, "loadserver: serving mode=%s addr=%s pprof=%s gomaxprocs=%d pool=%d\n",
		s.mode, ln.Addr(), pprofAt, runtime.GOMAXPROCS(0), s.pool)
	if ready != nil {
		ready(ln.Addr().String())
	}
	var serveErr error
	select {
	case serveErr = <-done:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, x := range servers {
		err = errors.Join(err, x.Shutdown(sctx))
	}
	for range len(servers) - btoi(serveErr != nil) {
		if e := <-done; !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, e)
		}
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	a.reportWaits(stderr)
	return err
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pprofMux serves net/http/pprof's handlers.
func pprofMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
