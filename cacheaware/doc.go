// Package cacheaware makes an application's Redis caches tenant-aware,
// as the original's template and reserved cache aliases did: one
// tenant's cached rows never answer another tenant, and one tenant's
// entries can be invalidated alone.
//
// # Usage
//
// A [Caches] hands out a go-redis client per cache alias for the tenant
// in the context ([tenant.NewContext], which the HTTP middleware sets):
//
//	caches, err := cacheaware.New(cacheaware.Config{
//		Reserved: map[string]redis.UniversalClient{"sessions": sessions}, // everyone's
//		Shared:   map[string]redis.UniversalClient{"pages": pages},       // one Redis, keys prefixed per tenant
//	})
//	defer caches.Close()
//	syncer, err := tenantsync.Start(ctx, store, res, tenantsync.WithConfigTargets(caches))
//
//	cache, err := caches.Client(r.Context(), "default") // the tenant's own, from its cache_config
//	cache.Set(r.Context(), "patients:page:1", page, time.Minute)
//
// A template alias (any alias neither reserved nor shared, such as
// "default") is the tenant's own cache, built from the URL its config
// gives (cache_config.default.url, the CACHE_URL of tenant_config.json):
// one client per tenant and alias, opened on first use and shared by its
// requests, at most [Config.MaxClients] open (least recently used
// retired first), replaced when the tenant's URL changes and closed when
// the tenant is removed. [Caches.Set] and [Caches.Remove] take the
// tenant configs, by hand or from tenantsync.
//
// A shared alias is one Redis for all tenants: a [PrefixHook] on its
// client puts the tenant's [Prefix] before every key, so application
// code calls Get and Set as usual; commands that cannot be confined to
// the tenant's keys (KEYS, FLUSHDB, SCAN without MATCH, scripts unless
// allowed, commands it does not know) are refused before anything is
// sent. [Caches.Invalidate] deletes one tenant's keys with SCAN and
// UNLINK, never KEYS.
//
// Without the Caches, [Key] and [Prefix] build tenant-scoped keys by
// hand:
//
//	key, err := cacheaware.Key(ctx, "patients", "page", "1")
//	// "tenant:18:tenant-1.localhost:patients:page:1"
//
// # Retired clients
//
// A tenant client replaced, removed or evicted is retired: new callers
// get the new client at once, and the old one stays open for
// [Config.RetireGrace] for callers that still hold it, then closes as
// soon as no command runs on it, never under a running one (a command
// that starts on it after that fails with redis.ErrClosed).
//
// # Errors
//
// Without a tenant in the context, [Key], [Prefix], [Caches.Client] for
// a template or shared alias, [Caches.Invalidate] and every command of a
// client with a PrefixHook return an error wrapping [tenant.ErrMissing],
// and with an invalid id one wrapping [tenant.ErrInvalidID]: no key is
// ever built or sent without a valid tenant. An unknown tenant gives
// [tenant.ErrUnknown], a tenant without a cache for the alias
// [ErrNoCache], a command a PrefixHook cannot confine [ErrRefused], a
// closed Caches [ErrClosed].
//
// # Concurrency
//
// [Key] and [Prefix] are pure. A Caches is safe for concurrent use; one
// goroutine, stopped by Close, closes retired clients. A PrefixHook
// keeps no state.
package cacheaware
