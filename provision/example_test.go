package provision_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/provision"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
)

// ExampleProvisioner_Create provisions a tenant as a sign-up handler
// would: a SQLite file in a directory, the example's tenant tables
// migrated with migrate.ApplyTo, a seed hook, then the config published
// in the store that every instance watches. A second Create finds it
// done.
func ExampleProvisioner_Create() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "provision-example")
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.DiscardHandler)

	// The application's *gorm.DB with the plugin: its strategies tell
	// migrate which tables are a tenant's.
	db, _ := gorm.Open(sqlite.Open(filepath.Join(dir, "central.db")), &gorm.Config{Logger: logger.Discard})
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	res, _ := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   quiet,
	})
	defer res.Close()
	plugin := tenantplugin.New(tenantplugin.Config{Resolver: res, Strategies: []tenantplugin.Strategy{hospital.Strategy()}, Logger: quiet})
	defer plugin.Close()
	_ = db.Use(plugin)

	srv, _ := provision.SQLiteDir(filepath.Join(dir, "tenants"))
	store := memstore.New()
	p, err := provision.New(provision.Config{
		Store:  store,
		Server: srv,
		Migrate: func(ctx context.Context, tdb *gorm.DB) error {
			_, err := migrate.ApplyTo(ctx, db, tdb, migrate.Models(hospital.Models()...))
			return err
		},
		Hooks: []provision.Hook{{
			Name: "first-hospital",
			Create: func(ctx context.Context, t provision.Tenant) error {
				h := hospital.Hospital{Name: "Main hospital"}
				return t.DB.WithContext(ctx).Where(h).FirstOrCreate(&h).Error
			},
		}},
		Logger: quiet,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	cfg, err := p.Create(ctx, "Acme.example.com", provision.WithStepDone(func(s provision.Step) { fmt.Println("done:", s) }))
	fmt.Println(err, filepath.Base(cfg.Name), "version", cfg.Version)
	again, err := p.Create(ctx, "Acme.example.com")
	fmt.Println("again:", err, "version", again.Version)
	rec, _ := store.Get(ctx, "Acme.example.com")
	published, _ := rec.Config.Database(tenantconfig.GORM, tenantconfig.DefaultAlias)
	fmt.Println("published:", filepath.Base(published.Name))
	// Output:
	// done: database
	// done: migrate
	// done: hooks
	// done: publish
	// <nil> acme_example_com_0b5de7922d27.db version 1
	// again: <nil> version 1
	// published: acme_example_com_0b5de7922d27.db
}

// ExampleProvisioner_Delete deletes a tenant: out of the store first,
// then, with DropDatabase, its database. A second Delete finds it gone.
func ExampleProvisioner_Delete() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "provision-example")
	defer os.RemoveAll(dir)
	srv, _ := provision.SQLiteDir(dir)
	store := memstore.New()
	p, _ := provision.New(provision.Config{Store: store, Server: srv, Logger: slog.New(slog.DiscardHandler)})
	cfg, _ := p.Create(ctx, "acme")

	err := p.Delete(ctx, "acme", provision.DropDatabase(), provision.WithStepDone(func(s provision.Step) { fmt.Println("done:", s) }))
	fmt.Println(err)
	_, statErr := os.Stat(cfg.Name)
	ids, _ := store.List(ctx)
	fmt.Println("file gone:", os.IsNotExist(statErr), "tenants:", ids)
	fmt.Println("again:", p.Delete(ctx, "acme", provision.DropDatabase()))
	fmt.Println("without DropDatabase:", p.Delete(ctx, "acme"))
	// Output:
	// done: unpublish
	// done: drain
	// done: delete-hooks
	// done: drop
	// <nil>
	// file gone: true tenants: []
	// again: <nil>
	// without DropDatabase: tenant "acme": provision: tenant: unknown tenant: not in the store, and no database "acme_822b33ad87c1"
}
