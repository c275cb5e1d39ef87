package memstore_test

import (
	"context"
	"fmt"
	"sort"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/memstore"
)

func ExampleSource() {
	s := memstore.NewSource(nil)
	s.Put("north", resolver.TenantConfig{DBConfig: resolver.DBConfig{Name: "north"}})
	s.Put("south", resolver.TenantConfig{DBConfig: resolver.DBConfig{Name: "south"}})
	s.Delete("north")
	tenants, _ := s.Tenants(context.Background())
	ids := make([]string, 0, len(tenants))
	for id := range tenants {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fmt.Println(ids)
	// Output: [south]
}
