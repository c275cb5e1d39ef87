package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/internal/redisurl"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
)

// fixture is a stack of its own: a service of a random name on the
// test Redis (its keys removed at the end), a central database and one
// database per tenant, each tenant published and migrated.
type fixture struct {
	st      *Stack
	store   *redisstore.Store
	service string
	dbs     map[string]string // tenant → database
}

func newFixture(t *testing.T, ids ...string) *fixture {
	t.Helper()
	ctx := t.Context()
	redisURL := testenv.RedisURL(t)
	names := testenv.Databases(t, len(ids)+1)
	f := &fixture{service: "stack-test-" + randHex(t), dbs: map[string]string{}}
	rdb, err := redisurl.NewClient(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeKeys(t, rdb, f.service) })
	if f.store, err = redisstore.New(rdb, f.service); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		f.dbs[id] = names[i+1]
		f.put(t, id, names[i+1])
	}
	f.st, err = Open(ctx, Config{RedisURL: redisURL, DatabaseURL: testenv.DSN(t, names[0]), Service: f.service, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.st.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := migrate.Apply(ctx, f.st.DB, ids, migrate.Models(hospital.Models()...)); err != nil {
		t.Fatal(err)
	}
	return f
}

// put publishes tenant id on database name, as tenantctl create does.
func (f *fixture) put(t *testing.T, id, name string) {
	t.Helper()
	cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Name: name}}},
	}}
	if _, err := f.store.Apply(t.Context(), tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: cfg}); err != nil {
		t.Fatal(err)
	}
}

// removeKeys deletes every key naming service (the store's, the
// cache's), and closes rdb.
func removeKeys(t *testing.T, rdb redis.UniversalClient, service string) {
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, "*"+service+"*", 100).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan: %v", err)
	}
	_ = rdb.Close()
}

func randHex(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// list returns the cached hospitals list of ctx's tenant, nil on a miss.
func list(ctx context.Context, c *ListCache) ([]byte, func([]byte)) {
	return c.List(ctx, "hospitals")
}

// TestListCache: each tenant's list is its own; a write to hospitals
// through the application's *gorm.DB (create, update, delete) empties
// the writer's tenant's list and no other's, a write to patients none;
// a list read from the database before a write and stored after it is
// never served.
func TestListCache(t *testing.T) {
	f := newFixture(t, "tenant-a", "tenant-b")
	c := f.st.Lists
	a := tenant.NewContext(t.Context(), "tenant-a")
	b := tenant.NewContext(t.Context(), "tenant-b")

	fill := func(ctx context.Context, body string) {
		t.Helper()
		got, put := list(ctx, c)
		if got != nil {
			t.Fatalf("want a miss, got %q", got)
		}
		put([]byte(body))
		if got, _ := list(ctx, c); string(got) != body {
			t.Fatalf("after put: %q, want %q", got, body)
		}
	}
	fill(a, "list of a")
	if got, _ := list(b, c); got != nil {
		t.Fatalf("tenant-b sees %q", got)
	}
	fill(b, "list of b")

	db := f.st.DB
	h := hospital.Hospital{Name: "Second", Address: "x"}
	steps := []struct {
		what  string
		write func() error
	}{
		{"create", func() error { return db.WithContext(a).Create(&h).Error }},
		{"update", func() error { return db.WithContext(a).Model(&h).Update("address", "y").Error }},
		{"delete", func() error { return db.WithContext(a).Delete(&h).Error }},
	}
	for _, s := range steps {
		if err := s.write(); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
		if got, _ := list(a, c); got != nil {
			t.Fatalf("after a hospital %s, tenant-a's list is still cached: %q", s.what, got)
		}
		if got, _ := list(b, c); string(got) != "list of b" {
			t.Fatalf("after tenant-a's hospital %s, tenant-b's list: %q", s.what, got)
		}
		fill(a, "list of a after "+s.what)
	}

	if err := db.WithContext(a).Create(&hospital.Patient{Name: "Ada", Email: "ada@example.com"}).Error; err != nil {
		t.Fatal(err)
	}
	if got, _ := list(a, c); string(got) != "list of a after delete" {
		t.Fatalf("a patient's insert emptied the hospitals list: %q", got)
	}

	// Read before a write, stored after it: stored under the old
	// generation, never served.
	if err := c.Invalidate(a, "hospitals"); err != nil {
		t.Fatal(err)
	}
	_, put := list(a, c)
	if err := db.WithContext(a).Create(&hospital.Hospital{Name: "Third"}).Error; err != nil {
		t.Fatal(err)
	}
	put([]byte("stale"))
	if got, _ := list(a, c); got != nil {
		t.Fatalf("a list read before a write is served after it: %q", got)
	}
}

// TestListCacheTenantRemoved: removing a tenant from the store empties
// its lists (its id may come back on another database).
func TestListCacheTenantRemoved(t *testing.T) {
	f := newFixture(t, "tenant-a")
	c := f.st.Lists
	a := tenant.NewContext(t.Context(), "tenant-a")
	_, put := list(a, c)
	put([]byte("list of a"))
	if got, _ := list(a, c); string(got) != "list of a" {
		t.Fatalf("not cached: %q", got)
	}
	if _, err := f.store.Apply(t.Context(), tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "tenant-a"}); err != nil {
		t.Fatal(err)
	}
	// The removal reaches the stack through Redis: wait until the
	// resolver has dropped the tenant, then for the list (the config
	// target is told in the same pass).
	deadline := time.Now().Add(10 * time.Second)
	for f.st.Resolver.Has("tenant-a") || cached(a, c) {
		if time.Now().After(deadline) {
			t.Fatalf("10s after the removal: known %v, list cached %v", f.st.Resolver.Has("tenant-a"), cached(a, c))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func cached(ctx context.Context, c *ListCache) bool {
	got, _ := c.List(ctx, "hospitals")
	return got != nil
}

// TestListCacheRedisDown: a cache whose Redis does not answer is a
// miss, whose put stores nothing and does not fail, and Invalidate
// says it failed; no command waits longer than the cache's timeout.
func TestListCacheRedisDown(t *testing.T) {
	opt, err := redisurl.Parse("redis://127.0.0.1:1/0") // nothing listens on port 1
	if err != nil {
		t.Fatal(err)
	}
	cl := cacheOptions(opt).NewClient()
	defer cl.Close()
	c, err := newListCache(cl, "svc", CachedLists, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	ctx := tenant.NewContext(t.Context(), "tenant-a")
	start := time.Now()
	got, put := c.List(ctx, "hospitals")
	if got != nil || put == nil {
		t.Fatalf("List: %q, put %v", got, put != nil)
	}
	put([]byte("x"))
	if err := c.Invalidate(ctx, "hospitals"); err == nil {
		t.Fatal("Invalidate with Redis down: no error")
	}
	if d := time.Since(start); d > 2*cacheTimeout {
		t.Fatalf("took %v", d)
	}
	// Without a tenant: a miss, never a key without a tenant.
	if got, _ := c.List(t.Context(), "hospitals"); got != nil {
		t.Fatalf("no tenant: %q", got)
	}
	if err := c.Invalidate(t.Context(), "hospitals"); !errors.Is(err, tenant.ErrMissing) {
		t.Fatalf("no tenant: %v", err)
	}
}

// TestOpenConfig: a missing or bad URL is refused with ErrConfig before
// anything is opened, and the error never quotes the URL.
func TestOpenConfig(t *testing.T) {
	const secret = "s3cretpw"
	for _, c := range []Config{
		{RedisURL: "redis://127.0.0.1:6379/0", Service: "s"},
		{RedisURL: "redis://127.0.0.1:6379/0", DatabaseURL: "sqlite:x.db", Service: "s"},
		{RedisURL: "redis://127.0.0.1:6379/0", DatabaseURL: "postgres://u:" + secret + "@127.0.0.1:99999/db", Service: "s"},
		{RedisURL: "http://:" + secret + "@127.0.0.1/0", DatabaseURL: "postgres://127.0.0.1/db", Service: "s"},
		{RedisURL: "redis://127.0.0.1:6379/0", DatabaseURL: "postgres://127.0.0.1/db"},
	} {
		_, err := Open(t.Context(), c)
		if !errors.Is(err, ErrConfig) || strings.Contains(err.Error(), secret) {
			t.Errorf("%+v: %v", c.Service, err)
		}
	}
}
