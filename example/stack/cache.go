package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/cacheaware"
	"github.com/tenantrouter/tenantplugin/internal/redisurl"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Cache settings.
const (
	// ListTTL bounds how long a cached list lives. Writes through the
	// application's *gorm.DB empty it at once (see [ListCache]); the TTL
	// bounds what they cannot reach.
	ListTTL = time.Minute
	// cacheTimeout bounds each cache command: a cache that does not
	// answer at once is skipped, and the database answers.
	cacheTimeout = 250 * time.Millisecond
	// cacheAlias is the cacheaware alias of the lists.
	cacheAlias = "lists"
)

// CachedLists are the lists the stack caches, each named after its
// table: the hospitals of a tenant.
var CachedLists = []string{"hospitals"}

// ListCache caches the JSON of a tenant's lists in Redis, one Redis
// for every tenant, each tenant's keys under its own prefix
// (cacheaware's shared alias): one tenant's list never answers another.
// A list is named after its table.
//
// A list is kept under a generation number: a write to its table
// through the application's *gorm.DB (create, update, delete; a GORM
// callback), and a change or removal of the tenant's config
// (tenantsync), bump the generation, and the entries of older
// generations are never read again. A reader takes the generation
// before reading the database, so that a list read before a write is
// stored under the old generation. Writes the callbacks cannot see (raw
// SQL, another program, a transaction read before it commits) are
// bounded by [ListTTL].
//
// Redis failures never fail a request: a list that cannot be read from
// the cache is read from the database, and one that cannot be stored is
// not.
type ListCache struct {
	caches  *cacheaware.Caches
	service string
	lists   []string
	log     *slog.Logger
}

// newListCache returns the cache of lists on client, for service.
func newListCache(client redis.UniversalClient, service string, lists []string, log *slog.Logger) (*ListCache, error) {
	caches, err := cacheaware.New(cacheaware.Config{
		Shared: map[string]redis.UniversalClient{cacheAlias: client},
		Logger: log,
	})
	if err != nil {
		return nil, err
	}
	return &ListCache{caches: caches, service: service, lists: lists, log: log}, nil
}

// genKey and listKey are a list's keys, before the tenant's prefix.
func (c *ListCache) genKey(name string) string { return c.service + ":list:" + name + ":gen" }
func (c *ListCache) listKey(name, gen string) string {
	return c.service + ":list:" + name + ":" + gen
}

// List returns the cached JSON of list name for the tenant in ctx, or,
// on a miss, nil and put, which stores a body read from the database
// after List returned. put never fails; it does nothing when the cache
// could not be read.
func (c *ListCache) List(ctx context.Context, name string) (cached []byte, put func(body []byte)) {
	noop := func([]byte) {}
	cl, err := c.caches.Client(ctx, cacheAlias)
	if err != nil {
		c.warn(ctx, "cache unavailable", name, err)
		return nil, noop
	}
	gen, err := cl.Get(ctx, c.genKey(name)).Result()
	switch {
	case errors.Is(err, redis.Nil):
		gen = "0"
	case err != nil:
		c.warn(ctx, "cache read failed", name, err)
		return nil, noop
	}
	key := c.listKey(name, gen)
	b, err := cl.Get(ctx, key).Bytes()
	switch {
	case err == nil:
		return b, nil
	case !errors.Is(err, redis.Nil):
		c.warn(ctx, "cache read failed", name, err)
		return nil, noop
	}
	return nil, func(body []byte) {
		if err := cl.Set(ctx, key, body, ListTTL).Err(); err != nil {
			c.warn(ctx, "cache write failed", name, err)
		}
	}
}

// Invalidate empties list name of the tenant in ctx: it bumps the
// list's generation.
func (c *ListCache) Invalidate(ctx context.Context, name string) error {
	cl, err := c.caches.Client(ctx, cacheAlias)
	if err != nil {
		return err
	}
	if err := cl.Incr(ctx, c.genKey(name)).Err(); err != nil {
		return fmt.Errorf("stack: invalidating the %s list: %w", name, err)
	}
	return nil
}

// invalidateAll empties every list of the tenant in ctx.
func (c *ListCache) invalidateAll(ctx context.Context) error {
	var errs []error
	for _, name := range c.lists {
		errs = append(errs, c.Invalidate(ctx, name))
	}
	return errors.Join(errs...)
}

func (c *ListCache) warn(ctx context.Context, msg, name string, err error) {
	id, _ := tenant.FromContext(ctx)
	c.log.LogAttrs(ctx, slog.LevelWarn, msg+": answering from the database",
		slog.String("list", name), slog.String("tenant", id), slog.Any("err", err))
}

func (c *ListCache) close() error { return c.caches.Close() }

// callbackName names the GORM callbacks of the cache.
const callbackName = "example:list-cache"

// register adds the callbacks that empty a cached list when its table
// is written through db.
func (c *ListCache) register(db *gorm.DB) error {
	cb := db.Callback()
	return errors.Join(
		cb.Create().After("gorm:create").Register(callbackName, c.afterWrite),
		cb.Update().After("gorm:update").Register(callbackName, c.afterWrite),
		cb.Delete().After("gorm:delete").Register(callbackName, c.afterWrite),
	)
}

// afterWrite empties the list of the table written, when it is cached
// and the write changed rows. A failure is logged: the write is done,
// and the TTL bounds how long the list may be stale.
func (c *ListCache) afterWrite(tx *gorm.DB) {
	if tx.Error != nil || tx.Statement.RowsAffected == 0 || !slices.Contains(c.lists, tx.Statement.Table) {
		return
	}
	ctx := tx.Statement.Context
	if err := c.Invalidate(ctx, tx.Statement.Table); err != nil {
		id, _ := tenant.FromContext(ctx)
		c.log.LogAttrs(ctx, slog.LevelWarn, "a cached list may be stale until it expires",
			slog.String("list", tx.Statement.Table), slog.String("tenant", id),
			slog.Duration("ttl", ListTTL), slog.Any("err", err))
	}
}

// target returns the tenantsync config target that empties a tenant's
// lists when its config changes (its database may have) and when it is
// removed (its id may come back on another database).
func (c *ListCache) target() listTarget { return listTarget{c} }

type listTarget struct{ c *ListCache }

func (t listTarget) Set(ctx context.Context, id string, _ tenantconfig.Config) error {
	return t.c.invalidateAll(tenant.NewContext(ctx, id))
}

func (t listTarget) Remove(ctx context.Context, id string) error {
	return t.c.invalidateAll(tenant.NewContext(ctx, id))
}

// cacheOptions are o with the cache's short timeouts, no retry and one
// dial attempt (go-redis tries 5 times, 100 ms apart, by default): a
// cache that does not answer at once is skipped.
func cacheOptions(o redisurl.Options) redisurl.Options {
	switch o.Kind {
	case redisurl.Sentinel:
		f := *o.Failover
		f.DialTimeout, f.ReadTimeout, f.WriteTimeout, f.PoolTimeout, f.MaxRetries = cacheTimeout, cacheTimeout, cacheTimeout, cacheTimeout, -1
		f.DialerRetries = 1
		o.Failover = &f
	case redisurl.Cluster:
		c := *o.Cluster
		c.DialTimeout, c.ReadTimeout, c.WriteTimeout, c.PoolTimeout, c.MaxRetries = cacheTimeout, cacheTimeout, cacheTimeout, cacheTimeout, -1
		c.DialerRetries = 1
		o.Cluster = &c
	default:
		s := *o.Single
		s.DialTimeout, s.ReadTimeout, s.WriteTimeout, s.PoolTimeout, s.MaxRetries = cacheTimeout, cacheTimeout, cacheTimeout, cacheTimeout, -1
		s.DialerRetries = 1
		o.Single = &s
	}
	return o
}
