package cacheaware

import "errors"

var (
	// ErrNoCache is returned by [Caches.Client] when the tenant in the
	// context has no cache for a template alias: its cache_config does
	// not name the alias.
	ErrNoCache = errors.New("cacheaware: no cache for this alias")

	// ErrClosed is returned by every method of [Caches] but Close once
	// Close has been called.
	ErrClosed = errors.New("cacheaware: closed")

	// ErrRefused is returned by a client carrying a [PrefixHook] for a
	// command that cannot be confined to the tenant's keys (KEYS,
	// FLUSHDB, SCAN without MATCH, a script when scripts are not
	// allowed, a command it does not know, a key that is not a string).
	// Nothing is sent.
	ErrRefused = errors.New("cacheaware: command cannot be confined to the tenant's keys")

	// ErrNotShared is returned by [Caches.Invalidate] for an alias that
	// is not a shared one: a tenant's own cache holds no other tenant's
	// keys, and a reserved cache is no tenant's.
	ErrNotShared = errors.New("cacheaware: not a shared cache alias")

	// ErrUnsupportedClient is returned by [Invalidate] for a client that
	// is not a *redis.Client, *redis.ClusterClient or *redis.Ring: it
	// cannot tell which nodes to scan.
	ErrUnsupportedClient = errors.New("cacheaware: unsupported client type")
)

// ErrInvalidConfig is returned by [New] for a [Config] it refuses; the
// error names the field.
var ErrInvalidConfig = errors.New("cacheaware: invalid config")
