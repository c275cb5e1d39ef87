package tenantconfig_test

import (
	"errors"
	"fmt"

	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// ExampleConfig_Database picks, from a tenant's config, the database the
// resolver serves: the one of GORM and DefaultAlias.
func ExampleConfig_Database() {
	cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {
			tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Host: "db1", Name: "acme"}},
			"reports":                 {DataSource: tenantconfig.DataSource{Host: "db2", Name: "acme_reports"}},
		},
	}}
	db, ok := cfg.Database(tenantconfig.GORM, tenantconfig.DefaultAlias)
	fmt.Println(db.Host, db.Name, ok)
	_, ok = cfg.Database(tenantconfig.GORM, "archive")
	fmt.Println(ok)
	// Output:
	// db1 acme true
	// false
}

// ExampleCheckChanges refuses changes a store must not apply, before any
// is applied.
func ExampleCheckChanges() {
	err := tenantconfig.CheckChanges([]tenantconfig.Change{
		{Kind: tenantconfig.PutTenant, Tenant: "acme"},
		{Kind: tenantconfig.DeleteTenant, Tenant: "north", Create: true},
	})
	fmt.Println(errors.Is(err, tenantconfig.ErrInvalidChange))
	err = tenantconfig.CheckChanges([]tenantconfig.Change{{Kind: tenantconfig.PutTenant, Tenant: "a/b"}})
	fmt.Println(errors.Is(err, tenant.ErrInvalidID))
	// Output:
	// true
	// true
}
