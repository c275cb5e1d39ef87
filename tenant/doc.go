// Package tenant carries the tenant a request is for in its context, and
// says which tenant ids are valid. It imports nothing but the standard
// library (and an internal package of this module that imports nothing
// else either), so that HTTP middleware, caches, task queues and tools can
// use it without GORM.
//
// # Usage
//
//	ctx := tenant.NewContext(r.Context(), "acme")
//	db.WithContext(ctx).Find(&patients) // acme's database, with the plugin installed
//	id, ok := tenant.FromContext(ctx)   // "acme", true
//
// # Errors
//
// [ErrMissing], [ErrUnknown] and [ErrInvalidID] are what every package of
// the module returns (wrapped, often in an [*Error] naming the tenant)
// when a tenant is absent, unregistered or malformed; test them with
// errors.Is.
//
// # Concurrency
//
// Everything here is safe for concurrent use: a context is immutable.
package tenant
