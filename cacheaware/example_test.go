package cacheaware_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tenantrouter/tenantplugin/cacheaware"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// ExampleKey builds a cache key for the tenant in the context; without
// a tenant there is no key.
func ExampleKey() {
	ctx := tenant.NewContext(context.Background(), "tenant-1.localhost")
	key, _ := cacheaware.Key(ctx, "patients", "page", "1")
	fmt.Println(key)

	_, err := cacheaware.Key(context.Background(), "patients")
	fmt.Println(errors.Is(err, tenant.ErrMissing))
	// Output:
	// tenant:18:tenant-1.localhost:patients:page:1
	// true
}

// ExamplePrefix invalidates one tenant's entries: every key of the tenant
// starts with its prefix, and no other tenant's key does.
func ExamplePrefix() {
	cache := map[string]string{}
	for _, id := range []string{"a", "a:b"} {
		ctx := tenant.NewContext(context.Background(), id)
		key, _ := cacheaware.Key(ctx, "b", "1")
		cache[key] = id
	}

	prefix, _ := cacheaware.Prefix(tenant.NewContext(context.Background(), "a"))
	fmt.Println(prefix)
	for key := range cache {
		if strings.HasPrefix(key, prefix) {
			delete(cache, key)
		}
	}
	fmt.Println(cache)
	// Output:
	// tenant:1:a:
	// map[tenant:3:a:b:b:1:a:b]
}
