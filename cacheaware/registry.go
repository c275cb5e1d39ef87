package cacheaware

import (
	"context"
	"fmt"
	"log/slog"
	"sort"

	"github.com/tenantrouter/tenantplugin/internal/redisurl"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Set gives tenant id the caches of cfg.Cache (template alias → URL),
// replacing what it had: an alias whose URL changed, or that cfg no
// longer names, has its client retired (see [Config.RetireGrace]); the
// next Client gets a new one. An alias whose URL did not change keeps
// its client. Nothing is dialed here. Entries for reserved or shared
// aliases are ignored (and logged): those are never a tenant's own.
// The rest of cfg is not read. With tenantsync.WithConfigTargets, a
// Syncer calls it as the tenant's config changes.
//
// Each tenant's URL must name a cache of its own (another server or
// database number): tenants given one URL share its keys, which Set
// cannot tell from URLs that differ in text only. For one Redis for all
// tenants, use a shared alias ([Config.Shared]).
//
// An invalid tenant id, an empty alias or a URL that does not parse
// (redis://, rediss://, Sentinel and Cluster forms) is refused with an
// error naming it, never holding a password, and changes nothing.
func (c *Caches) Set(ctx context.Context, id string, cfg tenantconfig.Config) error {
	if err := tenant.ValidateID(id); err != nil {
		return fmt.Errorf("cacheaware: %w", err)
	}
	next := make(map[string]*entry, len(cfg.Cache))
	var ignored []string
	for alias, cache := range cfg.Cache {
		if alias == "" {
			return fmt.Errorf("cacheaware: tenant %q: cache_config has an empty alias", id)
		}
		if c.notTemplate(alias) {
			ignored = append(ignored, alias)
			continue
		}
		if _, err := redisurl.Parse(cache.URL); err != nil {
			return fmt.Errorf("cacheaware: tenant %q: cache_config.%s: %w", id, alias, err)
		}
		next[alias] = &entry{id: id, alias: alias, url: cache.URL}
	}
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		return ErrClosed
	}
	cur, known := c.tenants[id]
	var retired []string
	for alias, old := range cur {
		if e, ok := next[alias]; ok && e.url == old.url {
			next[alias] = old // unchanged: keeps its client
			continue
		}
		if old.client != nil {
			retired = append(retired, alias)
		}
		c.retireLocked(old)
	}
	c.tenants[id] = next
	c.mu.Unlock()

	msg := "tenant caches changed"
	if !known {
		msg = "tenant caches added"
	}
	sort.Strings(retired)
	sort.Strings(ignored)
	attrs := []slog.Attr{slog.String("tenant", id), slog.Int("aliases", len(next))}
	if len(retired) > 0 {
		attrs = append(attrs, slog.Any("retired", retired))
	}
	if len(ignored) > 0 {
		attrs = append(attrs, slog.Any("ignored_reserved_or_shared", ignored))
	}
	level := slog.LevelInfo
	if len(ignored) > 0 {
		level = slog.LevelWarn
	}
	c.log.LogAttrs(ctx, level, msg, attrs...)
	return nil
}

// Remove forgets tenant id and retires its clients (see
// [Config.RetireGrace]): Client then returns an error wrapping
// [tenant.ErrUnknown] for it, which Remove also returns for a tenant it
// does not know.
func (c *Caches) Remove(ctx context.Context, id string) error {
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		return ErrClosed
	}
	cur, ok := c.tenants[id]
	if !ok {
		c.mu.Unlock()
		return fmt.Errorf("cacheaware: %w", &tenant.Error{ID: id, Err: tenant.ErrUnknown})
	}
	for _, e := range cur {
		c.retireLocked(e)
	}
	delete(c.tenants, id)
	c.mu.Unlock()
	c.log.LogAttrs(ctx, slog.LevelInfo, "tenant caches removed", slog.String("tenant", id))
	return nil
}

// notTemplate reports whether alias is reserved or shared, hence never
// a tenant's own cache.
func (c *Caches) notTemplate(alias string) bool {
	_, reserved := c.cfg.Reserved[alias]
	_, shared := c.cfg.Shared[alias]
	return reserved || shared
}
