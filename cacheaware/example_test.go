package cacheaware_test

import (
	"context"
	"errors"
	"fmt"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/cacheaware"
)

func ExampleKey() {
	ctx := tenantplugin.NewContext(context.Background(), "tenant-1.localhost")
	key, _ := cacheaware.Key(ctx, "patients", "page", "1")
	fmt.Println(key)

	_, err := cacheaware.Key(context.Background(), "patients")
	fmt.Println(errors.Is(err, tenantplugin.ErrNoTenant))
	// Output:
	// tenant:18:tenant-1.localhost:patients:page:1
	// true
}
