package migrate

import (
	"context"
	"fmt"
	"slices"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// StoreTenants returns the ids of the tenants a config store holds,
// sorted, read straight from the store: a one-shot command migrating
// every tenant needs no watcher, and an id the store does not hold yet
// is not migrated. The resolver must serve them: load the store into it
// first (tenantsync.Load), or each tenant fails with tenant.ErrUnknown.
func StoreTenants(ctx context.Context, store tenantconfig.Store) ([]string, error) {
	if store == nil {
		return nil, fmt.Errorf("migrate: StoreTenants: the store is nil")
	}
	ids, err := store.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: listing the store's tenants: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}
