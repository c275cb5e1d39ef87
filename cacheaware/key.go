package cacheaware

import (
	"context"
	"strconv"
	"strings"

	tenantplugin "github.com/tenantrouter/tenantplugin"
)

// Prefix returns the key prefix of the tenant in ctx:
// "tenant:<length of id>:<id>:". The length makes prefixes of different
// tenants disjoint even when ids contain ':'.
func Prefix(ctx context.Context) (string, error) {
	id, ok := tenantplugin.FromContext(ctx)
	if !ok {
		return "", tenantplugin.ErrNoTenant
	}
	if err := tenantplugin.ValidateTenantID(id); err != nil {
		return "", err
	}
	return "tenant:" + strconv.Itoa(len(id)) + ":" + id + ":", nil
}

// Key returns the tenant's prefix followed by parts joined with ':'.
func Key(ctx context.Context, parts ...string) (string, error) {
	p, err := Prefix(ctx)
	if err != nil {
		return "", err
	}
	return p + strings.Join(parts, ":"), nil
}
