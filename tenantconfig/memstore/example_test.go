package memstore_test

import (
	"context"
	"fmt"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
)

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
