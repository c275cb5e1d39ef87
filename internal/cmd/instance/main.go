// Command instance is one running instance of a multi-tenant
// application: a *gorm.DB with the plugin, a resolver over PostgreSQL,
// and tenantsync keeping the resolver in step with the tenants in Redis.
// It answers a few HTTP endpoints (JSON) that show where a tenant's
// statements go, for end-to-end tests and benchmarks:
//
//	GET /where?tenant=ID                       {"tenant": ..., "database": ...} (404 unknown tenant)
//	GET /wait?tenant=ID&database=NAME&timeout=2s
//	                                           waits until the tenant's statements reach NAME
//	GET /wait-gone?tenant=ID&timeout=2s        waits until the tenant is unknown
//	GET /stats                                 load query counts and tenantsync statistics
//
// Usage:
//
//	instance -service app -redis redis://127.0.0.1:6379/0 -pg postgres://app@127.0.0.1/app -listen 127.0.0.1:0 -load 8
//
// The Redis URL names one node, a master behind Sentinel
// (?master_name=NAME&addr=...) or a Cluster (?addr=...): see
// internal/redisurl.
//
// Its first line on stdout is "listening on ADDR". Logs (JSON) go to
// stderr and never hold a DSN or a password. SIGTERM or SIGINT shuts it
// down gracefully (exit status 0).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "instance:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// options are the command line settings.
type options struct {
	redisURL, service, pgURL, listen string
	load                             int
	loadInterval, resyncInterval     time.Duration
	maxConns                         int
	allowEmpty                       bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("instance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.redisURL, "redis", os.Getenv("REDIS_URL"), "Redis URL of the tenant config store (default $REDIS_URL)")
	fs.StringVar(&o.service, "service", "", "service whose tenants this instance serves (required)")
	fs.StringVar(&o.pgURL, "pg", os.Getenv("DATABASE_URL"), "the application's own PostgreSQL database, also the template of tenant databases (default $DATABASE_URL)")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "HTTP listen address")
	fs.IntVar(&o.load, "load", 0, "goroutines issuing steady queries to every known tenant")
	fs.DurationVar(&o.loadInterval, "load-interval", 5*time.Millisecond, "pause of each load goroutine between two queries")
	fs.DurationVar(&o.resyncInterval, "resync-interval", 0, "period of tenantsync's full resync (0: its default)")
	fs.IntVar(&o.maxConns, "max-conns", 0, "connection budget of all tenant pools (0: the resolver's default)")
	fs.BoolVar(&o.allowEmpty, "allow-empty", false, "start even when the store holds no tenant")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%w: %w", errUsage, err)
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case o.redisURL == "":
		return o, fmt.Errorf("%w: no Redis URL: set -redis or REDIS_URL", errUsage)
	case o.pgURL == "":
		return o, fmt.Errorf("%w: no PostgreSQL URL: set -pg or DATABASE_URL", errUsage)
	case o.service == "":
		return o, fmt.Errorf("%w: no service: set -service", errUsage)
	case o.load < 0 || o.loadInterval < 0 || o.maxConns < 0 || o.resyncInterval < 0:
		return o, fmt.Errorf("%w: negative -load, -load-interval, -max-conns or -resync-interval", errUsage)
	}
	return o, nil
}

// run runs the instance until ctx is done, then shuts it down.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With(slog.Int("pid", os.Getpid()))
	app, err := start(ctx, o, log)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "listening on %s\n", app.addr()); err != nil {
		app.shutdown()
		return err
	}
	log.LogAttrs(ctx, slog.LevelInfo, "instance started", slog.String("addr", app.addr()),
		slog.String("service", o.service), slog.Int("tenants", len(app.res.Tenants())), slog.Int("load", o.load))
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-app.served:
	}
	log.LogAttrs(context.Background(), slog.LevelInfo, "instance stopping")
	app.shutdown()
	if serveErr != nil {
		return fmt.Errorf("http server: %w", serveErr)
	}
	log.LogAttrs(context.Background(), slog.LevelInfo, "instance stopped")
	return nil
}
