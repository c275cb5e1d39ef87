package cacheaware

import (
	"container/list"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// Caches hands out the cache of a cache alias for the tenant in a
// context, as the original's template and reserved cache aliases did:
//
//   - a template alias (any alias not reserved nor shared) is the
//     tenant's own cache, from its cache_config (tenant_config.json's
//     CACHE_URL): one client per tenant and alias, opened on first use,
//     shared by every request, replaced when the tenant's config
//     changes and closed when the tenant is removed;
//   - a shared alias ([Config.Shared]) is one Redis for all tenants,
//     whose client carries a [PrefixHook];
//   - a reserved alias ([Config.Reserved]) is one client for everyone,
//     tenant or not.
//
// Tenants reach it by [Caches.Set] and [Caches.Remove]: by hand, or from
// a config store through tenantsync.WithConfigTargets, which calls them
// as tenants change.
type Caches struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	tenants  map[string]map[string]*entry // tenant → template alias → cache
	lru      list.List                    // of *entry with an open client, most recently used first
	retiring map[*tenantClient]struct{}   // retired clients not closed yet
	closed   atomic.Bool                  // set under mu

	kick chan struct{} // wakes the janitor
	stop chan struct{}
	done chan struct{}

	opened, evicted, closedClients atomic.Uint64
}

// entry is a tenant's cache for one template alias.
type entry struct {
	id, alias, url string
	client         *tenantClient // nil until first used, and once retired
	elem           *list.Element // in Caches.lru while client is not nil
}

// Stats counts the tenant clients of a Caches.
type Stats struct {
	Tenants  int    // tenants set and not removed
	Open     int    // tenant clients open and handed out
	Retiring int    // clients replaced, removed or evicted, not closed yet
	Opened   uint64 // tenant clients opened
	Evicted  uint64 // tenant clients retired to keep MaxClients
	Closed   uint64 // tenant clients closed
}

// New returns a Caches with no tenant, and adds a [PrefixHook] to each
// client of cfg.Shared. A bad cfg is refused with an error wrapping
// [ErrInvalidConfig], and changes nothing. Close it when done: a
// goroutine closes retired clients until then.
func New(cfg Config) (*Caches, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	for alias, cl := range cfg.Shared {
		cfg.Shared[alias] = sharedClient(cl, PrefixHook{AllowScripts: cfg.AllowScripts})
	}
	c := &Caches{
		cfg: cfg, log: cfg.Logger,
		tenants:  map[string]map[string]*entry{},
		retiring: map[*tenantClient]struct{}{},
		kick:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go c.janitor()
	return c, nil
}

// Client returns the client of alias for the tenant in ctx. For a
// reserved alias it is the reserved client, tenant or not. Otherwise ctx
// must carry a valid tenant (else an error wrapping [tenant.ErrMissing]
// or [tenant.ErrInvalidID], and no client): for a shared alias the
// shared client, whose every command is then confined to the tenant of
// its own context; for a template alias the tenant's own client, opened
// on first use. An unknown tenant gives an error wrapping
// [tenant.ErrUnknown], a tenant whose config has no cache for the alias
// [ErrNoCache].
//
// Take the client for a request and let it go with the request: after a
// config change, removal or eviction it stays usable for
// [Config.RetireGrace], then closes (commands then fail with
// redis.ErrClosed). Never close it yourself.
func (c *Caches) Client(ctx context.Context, alias string) (redis.UniversalClient, error) {
	if cl, ok := c.cfg.Reserved[alias]; ok {
		return cl, nil
	}
	id, ok := tenant.FromContext(ctx)
	if !ok {
		return nil, fmt.Errorf("cacheaware: cache %q: %w", alias, tenant.ErrMissing)
	}
	if err := tenant.ValidateID(id); err != nil {
		return nil, fmt.Errorf("cacheaware: cache %q: %w", alias, err)
	}
	if cl, ok := c.cfg.Shared[alias]; ok {
		if c.closed.Load() {
			return nil, ErrClosed
		}
		return cl, nil
	}
	// A client opened while the tenant changed is for the old config:
	// look again, a few times.
	for range 3 {
		e, cl, err := c.lookup(id, alias)
		if cl != nil || err != nil {
			return cl, err
		}
		if cl, err = c.open(e); cl != nil || err != nil {
			return cl, err
		}
	}
	return nil, fmt.Errorf("cacheaware: tenant %q: cache_config.%s changed while its client was opened; try again", id, alias)
}

// lookup returns the tenant's open client of alias, or the entry to
// open one for.
func (c *Caches) lookup(id, alias string) (*entry, redis.UniversalClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return nil, nil, ErrClosed
	}
	aliases, ok := c.tenants[id]
	if !ok {
		return nil, nil, fmt.Errorf("cacheaware: %w", &tenant.Error{ID: id, Err: tenant.ErrUnknown})
	}
	e, ok := aliases[alias]
	if !ok {
		return nil, nil, fmt.Errorf("%w: tenant %q has no cache_config.%s", ErrNoCache, id, alias)
	}
	if e.client != nil {
		c.lru.MoveToFront(e.elem)
		return e, e.client.UniversalClient, nil
	}
	return e, nil, nil
}

// open dials e's client outside the lock and installs it, unless e was
// replaced meanwhile (then nil, nil: look again) or another caller
// installed one first (then that one).
func (c *Caches) open(e *entry) (redis.UniversalClient, error) {
	raw, err := c.cfg.Dial(e.url)
	if err != nil {
		return nil, fmt.Errorf("cacheaware: tenant %q: cache_config.%s: %w", e.id, e.alias, err)
	}
	tc := newTenantClient(raw, e.id, e.alias, c.kick)
	c.mu.Lock()
	current := !c.closed.Load() && c.tenants[e.id][e.alias] == e
	if !current || e.client != nil {
		var winner redis.UniversalClient
		if current {
			c.lru.MoveToFront(e.elem)
			winner = e.client.UniversalClient
		}
		closed := c.closed.Load()
		c.mu.Unlock()
		_ = raw.Close() // never handed out
		if closed {
			return nil, ErrClosed
		}
		return winner, nil
	}
	e.client = tc
	e.elem = c.lru.PushFront(e)
	c.opened.Add(1)
	var evicted []*entry
	for c.cfg.MaxClients >= 0 && c.lru.Len() > c.cfg.MaxClients {
		victim := c.lru.Back().Value.(*entry)
		c.retireLocked(victim)
		c.evicted.Add(1)
		evicted = append(evicted, victim)
	}
	c.mu.Unlock()
	c.log.LogAttrs(context.Background(), slog.LevelInfo, "tenant cache client opened",
		slog.String("tenant", e.id), slog.String("alias", e.alias))
	for _, v := range evicted {
		c.log.LogAttrs(context.Background(), slog.LevelInfo, "tenant cache client evicted",
			slog.String("tenant", v.id), slog.String("alias", v.alias), slog.Int("max_clients", c.cfg.MaxClients))
	}
	return raw, nil
}

// Stats returns the counts of tenant clients.
func (c *Caches) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Tenants: len(c.tenants), Open: c.lru.Len(), Retiring: len(c.retiring),
		Opened: c.opened.Load(), Evicted: c.evicted.Load(), Closed: c.closedClients.Load(),
	}
}

// Close closes every tenant client, retired ones included, at once
// (commands running on them fail), and stops the goroutine of New. It
// does not close the reserved and shared clients, which are the
// caller's. Call it when the application stops serving. A second Close
// does nothing and returns nil.
func (c *Caches) Close() error {
	c.mu.Lock()
	if !c.closed.CompareAndSwap(false, true) {
		c.mu.Unlock()
		return nil
	}
	var all []*tenantClient
	for el := c.lru.Front(); el != nil; el = el.Next() {
		all = append(all, el.Value.(*entry).client)
	}
	for tc := range c.retiring {
		all = append(all, tc)
	}
	c.tenants, c.retiring = map[string]map[string]*entry{}, map[*tenantClient]struct{}{}
	c.lru.Init()
	c.mu.Unlock()
	close(c.stop)
	<-c.done
	for _, tc := range all {
		tc.running.Add(closing)
		c.closeClient(tc)
	}
	return nil
}
