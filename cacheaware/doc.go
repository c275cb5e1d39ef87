// Package cacheaware scopes cache keys to the tenant in a context
// ([tenant.NewContext]), so
// that one tenant's cached rows can never answer another tenant, and a
// tenant's entries can be invalidated alone.
//
// # Usage
//
//	key, err := cacheaware.Key(ctx, "patients", "page", "1")
//	// "tenant:18:tenant-1.localhost:patients:page:1"
//	prefix, err := cacheaware.Prefix(ctx) // delete keys under it to invalidate one tenant
//
// # Errors
//
// Without a tenant in the context both return [tenant.ErrMissing], and
// with an invalid id an error wrapping [tenant.ErrInvalidID] (see
// [tenant.ValidateID]): a key is never built without a valid tenant.
//
// # Concurrency
//
// Both functions are pure and safe for concurrent use.
package cacheaware
