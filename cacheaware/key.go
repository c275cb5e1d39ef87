package cacheaware

import (
	"context"
	"strconv"
	"strings"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// Prefix returns the key prefix of the tenant in ctx:
// "tenant:<length of id>:<id>:". The length makes prefixes of different
// tenants disjoint even when ids contain ':'. Without a tenant in ctx it
// returns [tenant.ErrMissing]; with an invalid one an error wrapping
// [tenant.ErrInvalidID].
func Prefix(ctx context.Context) (string, error) {
	id, ok := tenant.FromContext(ctx)
	if !ok {
		return "", tenant.ErrMissing
	}
	if err := tenant.ValidateID(id); err != nil {
		return "", err
	}
	return "tenant:" + strconv.Itoa(len(id)) + ":" + id + ":", nil
}

// Key returns the tenant's [Prefix] followed by parts joined with ':',
// or Prefix's error.
func Key(ctx context.Context, parts ...string) (string, error) {
	p, err := Prefix(ctx)
	if err != nil {
		return "", err
	}
	return p + strings.Join(parts, ":"), nil
}
