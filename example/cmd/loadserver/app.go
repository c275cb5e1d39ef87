package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/example/web"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// errNoTasks is the answer of the task queue, which neither mode has:
// the load test reads only.
var errNoTasks = errors.New("loadserver: no task queue")

type noTasks struct{}

func (noTasks) Enqueue(context.Context, string, []byte) error { return errNoTasks }

// app is one mode's state: the handler to serve and what to close.
type app struct {
	handler http.Handler
	sqlDB   *sql.DB // the application's own pool (single: its database; tenant: the central one)
	res     *resolver.Resolver
	plugin  *tenantplugin.Plugin
	syncer  *tenantsync.Syncer
	tenants []string
}

// gormConfig is the GORM config of both modes.
func gormConfig() *gorm.Config { return &gorm.Config{Logger: logger.Discard} }

// seedHospitals are the hospitals of every database, the same in both
// modes so that both send the same bytes.
func seedHospitals() []hospital.Hospital {
	out := make([]hospital.Hospital, 5)
	for i := range out {
		out[i] = hospital.Hospital{Name: fmt.Sprintf("Hospital %d", i+1), Address: fmt.Sprintf("%d Main Street", i+1)}
	}
	return out
}

// seed gives the database ctx reaches its hospitals, finding those it
// has.
func seed(ctx context.Context, db *gorm.DB) error {
	for _, h := range seedHospitals() {
		if err := db.WithContext(ctx).Where(hospital.Hospital{Name: h.Name}).Attrs(h).FirstOrCreate(&h).Error; err != nil {
			return err
		}
	}
	return nil
}

// tenantID is the tenant whose database is the i-th of -tenant-dbs.
func tenantID(i int) string { return fmt.Sprintf("tenant-%d.localhost", i+1) }

// withDatabase returns the server URL dsn with its database replaced by
// name.
func withDatabase(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return "", usagef("-dsn is not a URL")
	}
	u.Path = "/" + strings.TrimPrefix(name, "/")
	return u.String(), nil
}

// open builds the app of s.mode.
func open(ctx context.Context, s settings, log *slog.Logger) (*app, error) {
	if s.mode == modeSingle {
		return openSingle(ctx, s, log)
	}
	return openTenant(ctx, s, log)
}

// openSingle is the application without the plugin: GORM on one
// database, the routes with no middleware.
func openSingle(ctx context.Context, s settings, log *slog.Logger) (_ *app, err error) {
	a, db, err := openDatabase(s, s.db)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, a.close())
		}
	}()
	if err := db.WithContext(ctx).AutoMigrate(hospital.Models()...); err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}
	if err := seed(ctx, db); err != nil {
		return nil, fmt.Errorf("seeding: %w", err)
	}
	r := chi.NewRouter()
	web.Handlers{DB: db, Tasks: noTasks{}, Log: log}.Mount(r)
	a.handler = r
	return a, nil
}

// openDatabase opens the application's own database, name on the server
// of s.dsn, with its pool sized by setPool: the app to close on error,
// and the *gorm.DB.
func openDatabase(s settings, name string) (*app, *gorm.DB, error) {
	dsn, err := withDatabase(s.dsn, name)
	if err != nil {
		return nil, nil, err
	}
	db, err := gorm.Open(postgres.Open(dsn), gormConfig())
	if err != nil {
		return nil, nil, err
	}
	a := &app{}
	if a.sqlDB, err = db.DB(); err != nil {
		return nil, nil, err
	}
	setPool(a.sqlDB, s.pool)
	return a, db, nil
}

// setPool sizes the application's own pool as the resolver sizes each
// tenant pool: n open, n idle, no idle time or lifetime limit.
func setPool(db *sql.DB, n int) {
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
}

// openTenant is the application with the plugin: GORM on the central
// database, the tenants' configs in a memstore that tenantsync keeps
// the resolver in step with, every database migrated and seeded, and
// the routes behind the tenant middleware.
func openTenant(ctx context.Context, s settings, log *slog.Logger) (_ *app, err error) {
	a, db, err := openDatabase(s, s.central)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, a.close())
		}
	}()
	a.res, err = resolver.New(resolver.Config{
		Template: resolver.Template{
			Driver: pgdriver.DriverName,
			DSN:    s.dsn,
			// Each tenant pool as the single mode's pool.
			Pool: resolver.PoolSettings{MaxOpenConns: s.pool, MaxIdleConns: s.pool, ConnMaxIdleTime: -1},
		},
		Drivers: []dbdriver.Driver{pgdriver.New()},
		// The budget is on, as by default, but never short: each tenant
		// may hold its whole pool.
		MaxConns:    s.pool * len(s.tenantDBs),
		IdleTimeout: -1,
		Logger:      log,
	})
	if err != nil {
		return nil, err
	}
	a.plugin = tenantplugin.New(tenantplugin.Config{
		Resolver:   a.res,
		Strategies: []tenantplugin.Strategy{hospital.Strategy()},
		Logger:     log,
	})
	if err := db.Use(a.plugin); err != nil {
		return nil, err
	}
	store := memstore.New()
	changes := make([]tenantconfig.Change, len(s.tenantDBs))
	for i, name := range s.tenantDBs {
		a.tenants = append(a.tenants, tenantID(i))
		changes[i] = tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: tenantID(i), Config: tenantconfig.Config{
			ORM: map[string]map[string]tenantconfig.Database{
				tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Name: name}}},
			},
		}}
	}
	if _, err := store.Apply(ctx, changes...); err != nil {
		return nil, err
	}
	if a.syncer, err = tenantsync.Start(ctx, store, a.res, tenantsync.WithLogger(log)); err != nil {
		return nil, err
	}
	if _, err := migrate.Apply(ctx, db, a.tenants, migrate.Models(hospital.Models()...)); err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}
	for _, id := range a.tenants {
		if err := seed(tenant.NewContext(ctx, id), db); err != nil {
			return nil, fmt.Errorf("seeding %s: %w", id, err)
		}
	}
	if a.handler, err = web.NewRouter(a.res, web.Handlers{DB: db, Tasks: noTasks{}, Log: log}); err != nil {
		return nil, err
	}
	return a, nil
}

// reportWaits writes how often, and how long in all, requests queued
// for a connection of each pool: a pool that made requests wait is one
// the comparison would measure instead of the code.
func (a *app) reportWaits(w io.Writer) {
	if a.res == nil {
		st := a.sqlDB.Stats()
		fmt.Fprintf(w, "loadserver: pool waits: single=%d (%s) max_open=%d\n", st.WaitCount, st.WaitDuration, st.MaxOpenConnections)
		return
	}
	for _, id := range a.tenants {
		if st, ok := a.res.TenantStats(id); ok {
			fmt.Fprintf(w, "loadserver: pool waits: %s=%d (%s) max_open=%d\n", id, st.WaitCount, st.WaitDuration, st.MaxOpenConnections)
		}
	}
}

// close stops the syncer, the plugin and the resolver, and closes the
// application's own pool.
func (a *app) close() error {
	var errs []error
	if a.syncer != nil {
		errs = append(errs, a.syncer.Close())
	}
	if a.plugin != nil {
		errs = append(errs, a.plugin.Close())
	}
	if a.res != nil {
		errs = append(errs, a.res.Close())
	}
	if a.sqlDB != nil {
		errs = append(errs, a.sqlDB.Close())
	}
	return errors.Join(errs...)
}
