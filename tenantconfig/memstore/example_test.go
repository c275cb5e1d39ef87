package memstore_test

import (
	"context"
	"fmt"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
)

// ExampleStore_Apply applies changes all or nothing, each with a new
// version.
func ExampleStore_Apply() {
	ctx := context.Background()
	s := memstore.New()
	cfg := func(name string) tenantconfig.Config {
		return tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
			tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Name: name}}},
		}}
	}
	versions, _ := s.Apply(ctx,
		tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "north", Config: cfg("north")},
		tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "south", Config: cfg("south")},
	)
	_, _ = s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "north"})
	rec, _ := s.Get(ctx, "south")
	db, _ := rec.Config.Database(tenantconfig.GORM, tenantconfig.DefaultAlias)
	ids, _ := s.List(ctx)
	fmt.Println(versions, ids, db.Name, rec.Version)
	// Output: [1 2] [south] south 2
}

// ExampleStore_Watch announces each change, with its version and no
// configuration.
func ExampleStore_Watch() {
	ctx := context.Background()
	s := memstore.New()
	events := make(chan tenantconfig.Event, 2)
	stop, _ := s.Watch(ctx, func(e tenantconfig.Event) { events <- e }, func() {})
	defer stop()

	cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Name: "north"}}},
	}}
	_, _ = s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "north", Config: cfg})
	_, _ = s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "north"})
	fmt.Printf("%+v\n%+v\n", <-events, <-events)
	// Output:
	// {Tenant:north Version:1 Deleted:false}
	// {Tenant:north Version:2 Deleted:true}
}
