package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/redisurl"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// bootTimeout bounds connecting to PostgreSQL and Redis and loading the
// tenants at start.
const bootTimeout = 30 * time.Second

// app is a running instance.
type app struct {
	opt    options
	log    *slog.Logger
	db     *gorm.DB
	sqlDB  *sql.DB
	res    *resolver.Resolver
	plugin *tenantplugin.Plugin
	rdb    redis.UniversalClient
	syncer *tenantsync.Syncer

	ln     net.Listener
	srv    *http.Server
	served chan error
	// base is the context of HTTP requests, cancelled at shutdown so that
	// long polls end.
	base       context.Context
	cancelBase context.CancelFunc

	stopLoad context.CancelFunc
	loadWG   sync.WaitGroup
	load     loadCounts

	closers      []func() // run in reverse order by shutdown
	shutdownOnce sync.Once
}

// start wires the instance: the application's *gorm.DB, the resolver
// with pgdriver, the plugin, the Redis store and tenantsync; then it
// listens and starts the load. On error everything started is stopped.
func start(ctx context.Context, o options, log *slog.Logger) (_ *app, err error) {
	a := &app{opt: o, log: log, served: make(chan error, 1)}
	defer func() {
		if err != nil {
			a.shutdown()
		}
	}()
	bootCtx, cancel := context.WithTimeout(ctx, bootTimeout)
	defer cancel()

	// Messages about the URLs name the flag and the reason, never the
	// URL: it may hold a password.
	if _, err := pgx.ParseConfig(o.pgURL); err != nil {
		return nil, fmt.Errorf("invalid -pg URL: %s", dsnReason(err))
	}
	ropt, err := redisurl.Parse(o.redisURL)
	if err != nil {
		return nil, fmt.Errorf("invalid -redis URL: %w", err)
	}

	// The application's own database, opened as a single-tenant
	// application does: it becomes the plugin's "default" alias.
	a.db, err = gorm.Open(postgres.Open(o.pgURL), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, fmt.Errorf("open the application database: %w", err)
	}
	if a.sqlDB, err = a.db.DB(); err != nil {
		return nil, err
	}
	a.sqlDB.SetMaxOpenConns(4)
	a.closers = append(a.closers, func() { _ = a.sqlDB.Close() })

	a.res, err = resolver.New(resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: o.pgURL},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
		MaxConns: o.maxConns,
		Logger:   log,
		// The failover tests put many tenants on one database.
		AllowSharedDatabases: true,
	})
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { _ = a.res.Close() })
	a.plugin = tenantplugin.New(tenantplugin.Config{Resolver: a.res, Logger: log})
	if err := a.db.Use(a.plugin); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { _ = a.plugin.Close() })

	redis.SetLogger(redisLogger{log})
	a.rdb = ropt.NewClient()
	a.closers = append(a.closers, func() { _ = a.rdb.Close() })
	store, err := redisstore.New(a.rdb, o.service, redisstore.WithLogger(log))
	if err != nil {
		return nil, err
	}
	syncOpts := []tenantsync.Option{tenantsync.WithLogger(log), tenantsync.WithResyncInterval(o.resyncInterval)}
	if o.allowEmpty {
		syncOpts = append(syncOpts, tenantsync.WithAllowEmpty())
	}
	a.syncer, err = tenantsync.Start(bootCtx, store, a.res, syncOpts...)
	if errors.Is(err, tenantsync.ErrEmptyStore) {
		return nil, fmt.Errorf("%w (or start with -allow-empty)", err)
	}
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { _ = a.syncer.Close() })

	if a.ln, err = net.Listen("tcp", o.listen); err != nil {
		return nil, err
	}
	a.base, a.cancelBase = context.WithCancel(context.Background())
	a.srv = &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return a.base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := a.srv.Serve(a.ln); !errors.Is(err, http.ErrServerClosed) {
			a.served <- err
		}
	}()

	loadCtx, stopLoad := context.WithCancel(context.Background())
	a.stopLoad = stopLoad
	for i := range o.load {
		a.loadWG.Add(1)
		go func() {
			defer a.loadWG.Done()
			a.loadLoop(loadCtx, i)
		}()
	}
	return a, nil
}

func (a *app) addr() string { return a.ln.Addr().String() }

// shutdown stops the HTTP server, the load, the syncer, the resolver and
// the pools, in that order. It may be called more than once, and on a
// half-started app.
func (a *app) shutdown() {
	a.shutdownOnce.Do(func() {
		if a.srv != nil {
			a.cancelBase()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := a.srv.Shutdown(ctx); err != nil {
				_ = a.srv.Close()
			}
			cancel()
		}
		if a.stopLoad != nil {
			a.stopLoad()
			a.loadWG.Wait()
		}
		for i := len(a.closers) - 1; i >= 0; i-- {
			a.closers[i]()
		}
	})
}

// dsnReason says why a URL or DSN does not parse without quoting it:
// url.Error and pgconn.ParseConfigError carry the whole string.
func dsnReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		if inner := pe.Unwrap(); inner != nil {
			return dsnReason(inner)
		}
		return "does not parse"
	}
	return err.Error()
}

// redisLogger sends go-redis's own messages (reconnections) to the
// instance's log.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.LogAttrs(ctx, slog.LevelWarn, fmt.Sprintf(format, v...), slog.String("component", "go-redis"))
}
