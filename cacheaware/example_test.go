package cacheaware_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/tenantrouter/tenantplugin/cacheaware"
	"github.com/tenantrouter/tenantplugin/tenant"
)

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
