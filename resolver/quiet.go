package resolver

import "context"

// quietKey marks a context made by WithoutTenantLog.
type quietKey struct{}

// WithoutTenantLog returns a context under which Set and Remove log no
// line for the tenant they add, change or remove ("tenant added",
// "tenant changed", "tenant removed"): for a caller that applies many
// tenants at once and logs one summary of them, as tenantsync does for
// its boot and its resyncs (its single changes keep their lines). Pool
// swaps and errors are logged as always.
func WithoutTenantLog(ctx context.Context) context.Context {
	return context.WithValue(ctx, quietKey{}, struct{}{})
}

// tenantLogged reports whether Set and Remove log their tenant's line
// under ctx.
func tenantLogged(ctx context.Context) bool { return ctx.Value(quietKey{}) == nil }
