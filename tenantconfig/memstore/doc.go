// Package memstore keeps tenants in process: a [tenantconfig.Store] that
// is also a [tenantconfig.Watcher], for tests, the embedded demo and
// single-process applications.
//
// # Usage
//
//	store := memstore.New()
//	_, err := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "acme", Config: cfg})
//	err = tenantsync.Load(ctx, store, res)            // once
//	syncer, err := tenantsync.Start(ctx, store, res) // and in step after
//
// # Concurrency
//
// A Store is safe for concurrent use and returns copies. Each watch runs
// its callback on a goroutine of its own, which its stop function stops
// and waits for.
//
// # Errors
//
// Apply and Get return the errors of the [tenantconfig.Store] contract.
package memstore
