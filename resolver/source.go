package resolver

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Source lists tenants and their configs: the in-memory store in
// resolver/memstore, or a shared configuration store.
type Source interface {
	// Tenants returns every tenant's config, by tenant id.
	Tenants(ctx context.Context) (map[string]TenantConfig, error)
}

// Load makes the resolver's tenants those of src: it sets every tenant
// src lists and removes those it does not. Tenants whose config is
// refused keep their last good one; their errors are joined in the
// result, and the others are applied all the same.
func (r *Resolver) Load(ctx context.Context, src Source) error {
	want, err := src.Tenants(ctx)
	if err != nil {
		return fmt.Errorf("resolver: load: %w", err)
	}
	var errs []error
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := r.Set(ctx, id, want[id]); err != nil {
			errs = append(errs, err)
		}
	}
	for _, id := range r.Tenants() {
		if _, ok := want[id]; !ok {
			if err := r.Remove(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
