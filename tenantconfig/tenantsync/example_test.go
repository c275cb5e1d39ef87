package tenantsync_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// ExampleStart keeps a resolver in step with a store: a tenant added to
// the store reaches the resolver without any other call.
func ExampleStart() {
	dir, _ := os.MkdirTemp("", "tenantsync-example")
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	res, _ := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   quiet,
	})
	defer res.Close()

	store := memstore.New() // redisstore.New(client, service) to share it
	db := func(name string) tenantconfig.Config {
		return tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
			tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, name)}}},
		}}
	}
	_, _ = store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "north", Config: db("north.db")})

	syncer, err := tenantsync.Start(ctx, store, res, tenantsync.WithLogger(quiet))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer syncer.Close()
	fmt.Println(res.Has("north"), res.Has("south"))

	_, _ = store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "south", Config: db("south.db")})
	for !res.Has("south") {
		time.Sleep(time.Millisecond)
	}
	fmt.Println(res.Has("north"), res.Has("south"))
	// Output:
	// true false
	// true true
}

// ExampleLoad loads a resolver from a store once, as a one-shot command
// does: nothing keeps running, and later changes to the store do not
// reach the resolver.
func ExampleLoad() {
	dir, _ := os.MkdirTemp("", "tenantsync-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	res, _ := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   slog.New(slog.DiscardHandler),
	})
	defer res.Close()

	store := memstore.New()
	reports := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {"reports": {DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, "north-reports.db")}}},
	}}
	_, _ = store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "north", Config: reports})

	// Serve each tenant's "reports" database rather than the default one.
	if err := tenantsync.Load(ctx, store, res, tenantsync.WithDatabase(tenantconfig.GORM, "reports")); err != nil {
		fmt.Println(err)
		return
	}
	db, _ := res.Database("north")
	fmt.Println(filepath.Base(db.Name))

	err := tenantsync.Load(ctx, store, res, tenantsync.WithApplyTimeout(-2*time.Second))
	fmt.Println(err)
	// Output:
	// north-reports.db
	// tenantsync: WithApplyTimeout(-2s): negative timeout (0: the default, -1: none)
}
