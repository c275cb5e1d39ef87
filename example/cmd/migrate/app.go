package main

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// app is the example application as a migration sees it: its central
// database, with the plugin and hospital's strategy, and the resolver
// of its tenants. It opens no connection until the migration does.
type app struct {
	db     *gorm.DB
	sqlDB  *sql.DB
	res    *resolver.Resolver
	plugin *tenantplugin.Plugin
}

// openApp opens the central database (DATABASE_URL, or the embedded
// default's central.db) and a resolver whose template it is.
func openApp(s settings) (*app, error) {
	quiet := slog.New(slog.DiscardHandler)
	var (
		dial gorm.Dialector
		tmpl resolver.Template
		drv  dbdriver.Driver
	)
	if s.embedded() {
		dsn, err := sqliteFiles{s.dataDir, s.readOnly()}.central()
		if err != nil {
			return nil, err
		}
		dial, drv = sqlite.Open(dsn), sqlitedriver.New()
		tmpl = resolver.Template{Driver: sqlitedriver.DriverName, DSN: example.SQLitePragmas}
	} else {
		dial, drv = postgres.Open(s.databaseURL), pgdriver.New()
		tmpl = resolver.Template{Driver: pgdriver.DriverName, DSN: s.databaseURL}
	}
	// No ping: an unreachable central database is reported by the
	// migration, within the connect timeout, like any other.
	db, err := gorm.Open(dial, &gorm.Config{Logger: logger.Discard, DisableAutomaticPing: true})
	if err != nil {
		return nil, err
	}
	a := &app{db: db}
	if a.sqlDB, err = db.DB(); err != nil {
		return nil, err
	}
	a.res, err = resolver.New(resolver.Config{
		Template: tmpl,
		Drivers:  []dbdriver.Driver{drv},
		// --parallel N means N tenants at once, each holding a pool and
		// one or two connections (goose: its lock's and its own).
		MaxPools: max(resolver.DefaultMaxPools, 2*s.parallel),
		MaxConns: max(resolver.DefaultMaxConns, 2*s.parallel),
		Logger:   quiet,
	})
	if err != nil {
		return nil, errors.Join(err, a.sqlDB.Close())
	}
	a.plugin = tenantplugin.New(tenantplugin.Config{
		Resolver:   a.res,
		Strategies: []tenantplugin.Strategy{hospital.Strategy()},
		Logger:     quiet,
	})
	if err := db.Use(a.plugin); err != nil {
		return nil, errors.Join(err, a.close())
	}
	return a, nil
}

// set registers a tenant's database with the resolver, without opening
// it. The error leaves out the id, which the summary gives.
func (a *app) set(ctx context.Context, id string, db tenantconfig.Database) error {
	err := a.res.Set(ctx, id, db)
	var te *tenant.Error
	if errors.As(err, &te) && te.ID == id {
		return te.Err
	}
	return err
}

// close closes the plugin, the resolver (its pools) and the central
// database.
func (a *app) close() error {
	return errors.Join(a.plugin.Close(), a.res.Close(), a.sqlDB.Close())
}
