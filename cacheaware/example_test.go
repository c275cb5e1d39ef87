package cacheaware_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/cacheaware"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// ExampleKey builds a cache key for the tenant in the context; without
// a tenant there is no key.
func ExampleKey() {
	ctx := tenant.NewContext(context.Background(), "tenant-1.localhost")
	key, _ := cacheaware.Key(ctx, "patients", "page", "1")
	fmt.Println(key)

	_, err := cacheaware.Key(context.Background(), "patients")
	fmt.Println(errors.Is(err, tenant.ErrMissing))
	// Output:
	// tenant:18:tenant-1.localhost:patients:page:1
	// true
}

// ExamplePrefix invalidates one tenant's entries: every key of the tenant
// starts with its prefix, and no other tenant's key does.
func ExamplePrefix() {
	cache := map[string]string{}
	for _, id := range []string{"a", "a:b"} {
		ctx := tenant.NewContext(context.Background(), id)
		key, _ := cacheaware.Key(ctx, "b", "1")
		cache[key] = id
	}

	prefix, _ := cacheaware.Prefix(tenant.NewContext(context.Background(), "a"))
	fmt.Println(prefix)
	for key := range cache {
		if strings.HasPrefix(key, prefix) {
			delete(cache, key)
		}
	}
	fmt.Println(cache)
	// Output:
	// tenant:1:a:
	// map[tenant:3:a:b:b:1:a:b]
}

// ExampleCaches_Client gives each tenant its own cache for the template
// alias "default", from its cache_config, as the tenant config file
// holds it; a request without a tenant gets no cache.
func ExampleCaches_Client() {
	north, _ := miniredis.Run() // two Redis servers
	defer north.Close()
	south, _ := miniredis.Run()
	defer south.Close()
	caches, _ := cacheaware.New(cacheaware.Config{Logger: slog.New(slog.DiscardHandler)})
	defer caches.Close()
	ctx := context.Background()
	// By hand here; tenantsync.WithConfigTargets(caches) keeps them in
	// step with a config store.
	for id, srv := range map[string]*miniredis.Miniredis{"north": north, "south": south} {
		cfg := tenantconfig.Config{Cache: map[string]tenantconfig.Cache{"default": {URL: "redis://" + srv.Addr() + "/0"}}}
		_ = caches.Set(ctx, id, cfg)
	}

	for _, id := range []string{"north", "south"} {
		ctx := tenant.NewContext(ctx, id)
		cache, _ := caches.Client(ctx, "default")
		cache.Set(ctx, "greeting", "hello from "+id, time.Minute)
	}
	for _, srv := range []*miniredis.Miniredis{north, south} {
		v, _ := srv.Get("greeting") // in each tenant's own Redis
		fmt.Println(v)
	}

	_, err := caches.Client(ctx, "default")
	fmt.Println(errors.Is(err, tenant.ErrMissing))
	// Output:
	// hello from north
	// hello from south
	// true
}

// ExampleCaches_Invalidate serves every tenant from one shared Redis:
// the same key names never meet, and one tenant's keys can be dropped
// alone.
func ExampleCaches_Invalidate() {
	srv, _ := miniredis.Run()
	defer srv.Close()
	shared := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer shared.Close()
	caches, _ := cacheaware.New(cacheaware.Config{Shared: map[string]redis.UniversalClient{"default": shared}})
	defer caches.Close()

	north := tenant.NewContext(context.Background(), "north")
	south := tenant.NewContext(context.Background(), "south")
	for _, ctx := range []context.Context{north, south} {
		id, _ := tenant.FromContext(ctx)
		cache, _ := caches.Client(ctx, "default")
		cache.Set(ctx, "greeting", "hello from "+id, time.Minute)
	}
	cache, _ := caches.Client(north, "default")
	fmt.Println(cache.Get(north, "greeting").Val())
	fmt.Println(srv.Keys())

	n, _ := caches.Invalidate(north, "default")
	fmt.Println(n, srv.Keys())

	err := shared.Keys(south, "*").Err()
	fmt.Println(errors.Is(err, cacheaware.ErrRefused))
	// Output:
	// hello from north
	// [tenant:5:north:greeting tenant:5:south:greeting]
	// 1 [tenant:5:south:greeting]
	// true
}
