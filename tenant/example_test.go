package tenant_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// ExampleNewContext puts a tenant in a context and reads it back, as
// HTTP middleware and the plugin do.
func ExampleNewContext() {
	ctx := tenant.NewContext(context.Background(), "acme")
	id, ok := tenant.FromContext(ctx)
	fmt.Println(id, ok)
	_, ok = tenant.FromContext(context.Background())
	fmt.Println(ok)
	// Output:
	// acme true
	// false
}

// ExampleValidateID shows the ids that cannot name a tenant: they could
// escape a database name, a file name or a cache key.
func ExampleValidateID() {
	for _, id := range []string{"acme", "tenant-1.example.com", "", "../etc", "a/b"} {
		err := tenant.ValidateID(id)
		fmt.Printf("%q: %v\n", id, errors.Is(err, tenant.ErrInvalidID))
	}
	// Output:
	// "acme": false
	// "tenant-1.example.com": false
	// "": true
	// "../etc": true
	// "a/b": true
}
