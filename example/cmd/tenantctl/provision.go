package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/provision"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// sqliteScheme starts a DATABASE_URL that names a SQLite file:
// sqlite:PATH or sqlite://PATH.
const sqliteScheme = "sqlite:"

// provisioning is what create and delete work with.
type provisioning struct {
	p      *provision.Provisioner
	server provision.Server
	close  func()
}

// newProvisioning builds the Provisioner of create and delete, as the
// application's sign-up handler would: the server (DATABASE_URL's
// PostgreSQL server, or SQLite files in -data DIR when DATABASE_URL is
// unset or a sqlite: URL), the application's *gorm.DB (the plugin with
// hospital.Strategy over DATABASE_URL's database) for migrate.ApplyTo,
// and hospital.Hooks. Errors never quote DATABASE_URL.
func newProvisioning(g globals, getenv func(string) string, store tenantconfig.Store, stderr io.Writer, drain time.Duration) (*provisioning, error) {
	url := getenv("DATABASE_URL")
	var (
		srv     provision.Server
		closers []func()
		dial    gorm.Dialector
		tmpl    resolver.Template
		drv     dbdriver.Driver
	)
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	if url == "" || strings.HasPrefix(url, sqliteScheme) {
		if g.data == "" {
			return nil, usagef("give -data DIR for the tenants' SQLite files (DATABASE_URL is unset or SQLite)")
		}
		central := ":memory:" // no central database: only its strategies are read
		if url != "" {
			central = strings.TrimPrefix(strings.TrimPrefix(url, sqliteScheme), "//")
		}
		s, err := provision.SQLiteDir(g.data)
		if err != nil {
			return nil, err
		}
		srv, dial = s, sqlite.Open(central)
		tmpl, drv = resolver.Template{Driver: sqlitedriver.DriverName}, sqlitedriver.New()
	} else {
		if g.data != "" {
			return nil, usagef("-data is for SQLite; DATABASE_URL names a PostgreSQL server")
		}
		s, err := provision.Postgres(url)
		if err != nil {
			return nil, err
		}
		closers = append(closers, func() { _ = s.Close() })
		srv, dial = s, postgres.Open(url)
		tmpl, drv = resolver.Template{Driver: pgdriver.DriverName, DSN: url}, pgdriver.New()
	}
	quiet := slog.New(slog.DiscardHandler)
	app, err := gorm.Open(dial, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("the application's database: %w", err)
	}
	if sqlDB, err := app.DB(); err == nil {
		closers = append(closers, func() { _ = sqlDB.Close() })
	}
	res, err := resolver.New(resolver.Config{Template: tmpl, Drivers: []dbdriver.Driver{drv}, Logger: quiet})
	if err != nil {
		closeAll()
		return nil, err
	}
	closers = append(closers, func() { _ = res.Close() })
	plugin := tenantplugin.New(tenantplugin.Config{Resolver: res, Strategies: []tenantplugin.Strategy{hospital.Strategy()}, Logger: quiet})
	closers = append(closers, func() { _ = plugin.Close() })
	if err := app.Use(plugin); err != nil {
		closeAll()
		return nil, err
	}
	p, err := provision.New(provision.Config{
		Store:  store,
		Server: srv,
		Migrate: func(ctx context.Context, tdb *gorm.DB) error {
			_, err := migrate.ApplyTo(ctx, app, tdb, migrate.Models(hospital.Models()...))
			return err
		},
		Hooks:        hospital.Hooks(),
		DrainTimeout: drain,
		// Steps are printed on stdout; what holds a Delete up (sessions
		// still connected) is logged on stderr.
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		closeAll()
		return nil, err
	}
	return &provisioning{p: p, server: srv, close: closeAll}, nil
}

// create runs `create ID [--db NAME]`.
func create(ctx context.Context, store tenantconfig.Store, args []string, out io.Writer, e cmdEnv) error {
	fs := newFlags("create")
	name := fs.String("db", "", "the database name (default: derived from the id)")
	id, err := idAndFlags(fs, args)
	if err != nil {
		return err
	}
	if err := checkInput(id, *name); err != nil {
		return err
	}
	opts := []provision.Option{}
	if *name != "" {
		opts = append(opts, provision.WithDatabase(*name))
	}
	pv, err := newProvisioning(e.g, e.getenv, store, e.stderr, 0)
	if err != nil {
		return err
	}
	defer pv.close()
	if *name == "" {
		if *name, err = pv.p.DatabaseName(id); err != nil {
			return err
		}
	}
	ran := 0
	opts = append(opts, provision.WithStepDone(func(s provision.Step) {
		ran++
		switch s {
		case provision.StepDatabase:
			fmt.Fprintf(out, "database %s ready\n", *name)
		case provision.StepMigrate:
			fmt.Fprintf(out, "database %s migrated\n", *name)
		case provision.StepHooks:
			fmt.Fprintln(out, "hooks run")
		case provision.StepPublish:
			fmt.Fprintf(out, "%s published\n", id)
		}
	}))
	db, err := pv.p.Create(ctx, id, append(opts, e.extra...)...)
	if err != nil {
		return err
	}
	if ran == 0 {
		fmt.Fprintf(out, "%s exists already on database %s (version %d): nothing to do\n", id, *name, db.Version)
		return nil
	}
	fmt.Fprintf(out, "created %s on database %s (version %d)\n", id, *name, db.Version)
	return nil
}

// deleteTenant runs `delete ID [--drop-database] [--db NAME] [--drain-timeout D]`.
func deleteTenant(ctx context.Context, store tenantconfig.Store, args []string, out io.Writer, e cmdEnv) error {
	fs := newFlags("delete")
	drop := fs.Bool("drop-database", false, "drop the tenant's database too")
	name := fs.String("db", "", "the database of a tenant the store does not hold (default: derived from the id)")
	drain := fs.Duration("drain-timeout", provision.DefaultDrainTimeout, "how long to wait for sessions on the database to end; 0: do not wait")
	id, err := idAndFlags(fs, args)
	if err != nil {
		return err
	}
	if err := checkInput(id, *name); err != nil {
		return err
	}
	timeout := *drain
	switch {
	case timeout < 0:
		return usagef("--drain-timeout %v: give 0 (do not wait) or more", timeout)
	case timeout == 0:
		timeout = -1
	}
	opts := []provision.Option{}
	if *name != "" {
		opts = append(opts, provision.WithDatabase(*name))
	}
	if *drop {
		opts = append(opts, provision.DropDatabase())
	}
	pv, err := newProvisioning(e.g, e.getenv, store, e.stderr, timeout)
	if err != nil {
		return err
	}
	defer pv.close()
	// For the messages only: the database Delete will work on.
	shown := *name
	if rec, err := store.Get(ctx, id); err == nil {
		if db, ok := rec.Config.Database(tenantconfig.GORM, tenantconfig.DefaultAlias); ok {
			shown, _ = pv.server.NameOf(db)
		}
	}
	if shown == "" {
		shown, _ = pv.p.DatabaseName(id)
	}
	ran := 0
	opts = append(opts, provision.WithStepDone(func(s provision.Step) {
		ran++
		switch s {
		case provision.StepUnpublish:
			fmt.Fprintf(out, "%s unpublished: no instance routes to it\n", id)
		case provision.StepDrain:
			fmt.Fprintf(out, "no session left on database %s\n", shown)
		case provision.StepDeleteHooks:
			fmt.Fprintln(out, "delete hooks run")
		case provision.StepDrop:
			if *drop {
				fmt.Fprintf(out, "database %s dropped\n", shown)
			}
		}
	}))
	if err := pv.p.Delete(ctx, id, append(opts, e.extra...)...); err != nil {
		if errors.Is(err, provision.ErrBusy) {
			return fmt.Errorf("%w (--drain-timeout waits longer)", err)
		}
		return err
	}
	switch {
	case ran == 0:
		fmt.Fprintf(out, "%s is gone already\n", id)
	case *drop:
		fmt.Fprintf(out, "deleted %s and its database %s\n", id, shown)
	default:
		fmt.Fprintf(out, "deleted %s; database %s kept (--drop-database drops it)\n", id, shown)
	}
	return nil
}

// checkInput refuses a bad id or --db name before any connection is
// made, as Create and Delete would.
func checkInput(id, name string) error {
	if err := tenant.ValidateID(id); err != nil {
		return &tenant.Error{ID: id, Err: err}
	}
	if name != "" {
		return provision.ValidateName(name)
	}
	return nil
}
