// Package memstore is an in-process tenant source for a resolver: for
// tests, the embedded demo and single-node use.
//
// # Usage
//
//	src := memstore.New(map[string]resolver.TenantConfig{"acme": {...}})
//	err := res.Load(ctx, src)
//
// # Concurrency
//
// A Store is safe for concurrent use. Tenants returns a copy.
package memstore
