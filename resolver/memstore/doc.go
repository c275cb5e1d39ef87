// Package memstore keeps tenants in process: a resolver.Store (with
// watching) for tests, the embedded demo and single-node use, and a plain
// resolver.Source.
//
// # Usage
//
//	store := memstore.New()
//	_, err := store.Apply(ctx, resolver.Change{Op: resolver.Put, Tenant: "acme", Config: cfg})
//
//	src := memstore.NewSource(map[string]resolver.TenantConfig{"acme": {...}})
//	err = res.Load(ctx, src)
//
// # Concurrency
//
// Both types are safe for concurrent use and return copies.
package memstore
