package cacheaware

import (
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/redisurl"
)

// Defaults of [Config], applied to fields left at zero.
const (
	// DefaultMaxClients is the default [Config.MaxClients].
	DefaultMaxClients = 50
	// DefaultRetireGrace is the default [Config.RetireGrace]: longer
	// than a request usually runs.
	DefaultRetireGrace = 10 * time.Second
)

// Config configures [New]. The zero value is valid: every alias is a
// template alias, served by each tenant's own cache, with the defaults.
// Zero values mean the documented defaults, -1 turns a limit off, and
// other negative values are refused with [ErrInvalidConfig].
type Config struct {
	// Reserved maps reserved cache aliases to clients that every tenant
	// shares as they are, and that need no tenant (sessions, rate limits,
	// anything central). Caches adds nothing to them and does not close
	// them.
	Reserved map[string]redis.UniversalClient

	// Shared maps template aliases to one Redis for all tenants: New adds
	// a [PrefixHook] to each client, so that every key a command names is
	// the tenant's, and the client refuses commands without a tenant.
	// Give clients used for nothing else, without a PrefixHook of their
	// own, and use them through Client: on a Cluster or a Ring, its
	// client also confines Watch, whose transaction runs on a node
	// client that hooks do not reach. Caches does not close them.
	Shared map[string]redis.UniversalClient

	// AllowScripts is the [PrefixHook.AllowScripts] of the shared
	// clients. Default: scripts are refused.
	AllowScripts bool

	// MaxClients caps the tenant clients open and handed out at once;
	// opening one more retires the least recently used. Retired clients
	// (replaced, removed or evicted) are not counted: they close after
	// RetireGrace. Default: [DefaultMaxClients]; -1: no cap.
	MaxClients int

	// RetireGrace is how long a tenant client that was replaced (its
	// config changed), removed or evicted stays open for callers that
	// still hold it; after it, the client closes as soon as no command
	// runs on it, never under a running command. New callers get the
	// new client at once. Default: [DefaultRetireGrace]; -1: no grace
	// (closed as soon as no command runs on it).
	RetireGrace time.Duration

	// Dial makes a tenant's client from its cache URL (which Set has
	// checked: redis://, rediss://, Sentinel and Cluster forms). It is
	// called on first use, outside any lock. Default: a *redis.Client,
	// a Sentinel failover client or a *redis.ClusterClient, by the
	// URL's form.
	Dial func(url string) (redis.UniversalClient, error)

	// Logger receives clients opened, retired and closed, and cache
	// configs ignored, with the tenant and the alias: never a URL, and
	// nothing per command. Default: slog.Default().
	Logger *slog.Logger
}

// withDefaults checks c and applies the defaults, in this one place.
func (c Config) withDefaults() (Config, error) {
	if c.MaxClients < -1 {
		return c, fmt.Errorf("%w: MaxClients %d (0: the default, -1: no cap)", ErrInvalidConfig, c.MaxClients)
	}
	if c.RetireGrace < 0 && c.RetireGrace != -1 {
		return c, fmt.Errorf("%w: RetireGrace %v (0: the default, -1: none)", ErrInvalidConfig, c.RetireGrace)
	}
	for alias, cl := range c.Reserved {
		if alias == "" || cl == nil {
			return c, fmt.Errorf("%w: Reserved[%q]: empty alias or nil client", ErrInvalidConfig, alias)
		}
	}
	for alias, cl := range c.Shared {
		if alias == "" || cl == nil {
			return c, fmt.Errorf("%w: Shared[%q]: empty alias or nil client", ErrInvalidConfig, alias)
		}
		if _, ok := c.Reserved[alias]; ok {
			return c, fmt.Errorf("%w: alias %q is both Reserved and Shared", ErrInvalidConfig, alias)
		}
		// One client under two aliases would get two hooks (every key
		// prefixed twice), or a reserved client a hook.
		for other, o := range c.Shared {
			if other != alias && sameClient(o, cl) {
				return c, fmt.Errorf("%w: Shared[%q] and Shared[%q] are one client", ErrInvalidConfig, alias, other)
			}
		}
		for other, o := range c.Reserved {
			if sameClient(o, cl) {
				return c, fmt.Errorf("%w: Shared[%q] and Reserved[%q] are one client", ErrInvalidConfig, alias, other)
			}
		}
	}
	c.Reserved, c.Shared = maps.Clone(c.Reserved), maps.Clone(c.Shared)
	if c.MaxClients == 0 {
		c.MaxClients = DefaultMaxClients
	}
	if c.RetireGrace == 0 {
		c.RetireGrace = DefaultRetireGrace
	}
	if c.Dial == nil {
		c.Dial = redisurl.NewClient
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// sameClient reports whether a and b are one client, without panicking
// on a client type that cannot be compared.
func sameClient(a, b redis.UniversalClient) bool {
	return reflect.ValueOf(a).Comparable() && a == b
}
