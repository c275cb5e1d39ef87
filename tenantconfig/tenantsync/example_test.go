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

// Example keeps a resolver in step with a store: a tenant added to the
// store reaches the resolver without any other call.
func Example() {
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

	store := memstore.New() // redisstore.New(client, "hospital") to share it
	db := func(name string) tenantconfig.Config {
		return tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
			"gorm": {"default": {DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, name)}}},
		}}
	}
	_, _ = store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "north", Config: db("north.db")})

	syncer, err := tenantsync.Start(ctx, store, res, tenantsync.Options{Logger: quiet})
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
