package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/example/web"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantfile"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// Task runner sizes.
const (
	taskWorkers    = 4
	taskQueueDepth = 256
)

// app is the server's state: the central database with the plugin, the
// resolver of the tenants, and where tasks go. In the embedded default
// it also holds the config store the resolver follows and the task
// runner; in the Redis mode (openFull), closers close the full stack.
type app struct {
	db     *gorm.DB
	sqlDB  *sql.DB
	res    *resolver.Resolver
	plugin *tenantplugin.Plugin
	store  *memstore.Store
	syncer *tenantsync.Syncer
	runner *runner
	tasks  web.Enqueuer
	cache  web.ListCache // nil: no cache

	closers []func() error // run in reverse order by close, first
}

// openApp builds the embedded default: a memstore seeded with the
// tenants of the embedded tenant config file for the service, each on a
// SQLite file under the data directory, kept in the resolver by
// tenantsync; every database migrated, each tenant seeded with its
// hospitals; and the task runner started.
func openApp(ctx context.Context, s settings, log *slog.Logger) (_ *app, err error) {
	files := sqliteFiles{s.dataDir}
	if err := files.make(); err != nil {
		return nil, err
	}
	f, err := tenantfile.Parse(example.TenantConfig())
	if err != nil {
		return nil, err
	}
	cfgs := f.Service(s.service)
	if len(cfgs) == 0 {
		return nil, usagef("the embedded %s configures no tenant for service %q", tenantfile.FileName, s.service)
	}
	db, err := gorm.Open(sqlite.Open(files.central()), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, err
	}
	a := &app{db: db}
	if a.sqlDB, err = db.DB(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, a.close())
		}
	}()
	a.res, err = resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName, DSN: example.SQLitePragmas},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   log,
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

	a.store = memstore.New()
	ids := slices.Sorted(maps.Keys(cfgs))
	changes := make([]tenantconfig.Change, 0, len(ids))
	for _, id := range ids {
		changes = append(changes, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: embeddedConfig(cfgs[id], files.tenant(id))})
	}
	if _, err := a.store.Apply(ctx, changes...); err != nil {
		return nil, err
	}
	if a.syncer, err = tenantsync.Start(ctx, a.store, a.res, tenantsync.WithLogger(log)); err != nil {
		return nil, err
	}
	if _, err := migrate.Apply(ctx, db, ids, migrate.Models(hospital.Models()...)); err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}
	for _, id := range ids {
		if err := seed(tenant.NewContext(ctx, id), db, id); err != nil {
			return nil, fmt.Errorf("seeding %s: %w", id, err)
		}
	}
	a.runner = newRunner(taskWorkers, taskQueueDepth, a.res, map[string]taskFunc{
		hospital.TaskAddPatient: hospital.AddPatientHandler(db),
	}, log)
	a.tasks = a.runner
	return a, nil
}

// embeddedConfig is a tenant's config with its GORM default database on
// its SQLite file instead of the one the file names.
func embeddedConfig(c tenantconfig.Config, ds tenantconfig.DataSource) tenantconfig.Config {
	c = c.Clone()
	c.ORM = map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: ds}},
	}
	return c
}

// seedHospitals are the hospitals each tenant starts with; the second
// names the tenant, so that each tenant's list is its own.
func seedHospitals(id string) []hospital.Hospital {
	return []hospital.Hospital{
		{Name: hospital.FirstHospital, Address: "1 Main Street"},
		{Name: "Hospital of " + id, Address: "2 Station Road"},
	}
}

// seed gives the tenant of ctx its hospitals, finding those it has.
func seed(ctx context.Context, db *gorm.DB, id string) error {
	for _, h := range seedHospitals(id) {
		if err := db.WithContext(ctx).Where(hospital.Hospital{Name: h.Name}).Attrs(h).FirstOrCreate(&h).Error; err != nil {
			return err
		}
	}
	return nil
}

// close runs the closers (the Redis mode's), stops the task runner
// (running what is queued), the syncer, the plugin and the resolver,
// and closes the central database.
func (a *app) close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	if a.runner != nil {
		a.runner.Close()
	}
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
