package cacheaware_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/cacheaware"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestTemplateTenantsNeverSeeEachOthersKeys: two tenants, each with its
// own cache for the template alias "default" (two Redis databases),
// write the same key: each reads its own value, each database holds
// only its tenant's, and every request of a tenant gets the one client.
func TestTemplateTenantsNeverSeeEachOthersKeys(t *testing.T) {
	a, b := uniq("tpl-a"), uniq("tpl-b")
	dropKeys(t, dbA, a)
	dropKeys(t, dbB, b)
	c := newCaches(t, cacheaware.Config{})
	mustSet(t, c, a, caches("default", redisURL(t, dbA, "")))
	mustSet(t, c, b, caches("default", redisURL(t, dbB, "")))

	key := "greeting:" + a // named after a so that the cleanup finds it in both databases
	dropKeys(t, dbB, a)
	for _, id := range []string{a, b} {
		cl := mustClient(as(id), t, c, "default")
		if err := cl.Set(as(id), key, "hello from "+id, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{a, b} {
		cl := mustClient(as(id), t, c, "default")
		if got, err := cl.Get(as(id), key).Result(); err != nil || got != "hello from "+id {
			t.Fatalf("tenant %s reads %q, %v", id, got, err)
		}
		if again := mustClient(as(id), t, c, "default"); again != cl {
			t.Fatalf("tenant %s got a second client", id)
		}
	}
	for db, id := range map[int]string{dbA: a, dbB: b} {
		if got, err := rawClient(t, db).Get(context.Background(), key).Result(); err != nil || got != "hello from "+id {
			t.Fatalf("database %d holds %q, %v; want only the value of %s", db, got, err, id)
		}
	}
	if st := c.Stats(); st.Tenants != 2 || st.Open != 2 || st.Opened != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// TestConfigChangeMovesTenant: a tenant writes through its cache, its
// config moves it to another database: the next Client is a new client
// on the new database, and the old one is closed.
func TestConfigChangeMovesTenant(t *testing.T) {
	a := uniq("move")
	dropKeys(t, dbA, a)
	dropKeys(t, dbB, a)
	d := &dialer{}
	c := newCaches(t, cacheaware.Config{Dial: d.dial, RetireGrace: -1})
	mustSet(t, c, a, caches("default", redisURL(t, dbA, "")))
	ctx := as(a)
	old := mustClient(ctx, t, c, "default")
	if err := old.Set(ctx, "k:"+a, "v1", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}

	mustSet(t, c, a, caches("default", redisURL(t, dbB, "")))
	cl := mustClient(ctx, t, c, "default")
	if cl == old {
		t.Fatal("the config changed and Client returned the old client")
	}
	if err := cl.Get(ctx, "k:"+a).Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("the new cache has the old cache's key: %v", err)
	}
	if err := cl.Set(ctx, "k:"+a, "v2", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got := rawClient(t, dbB).Get(context.Background(), "k:"+a).Val(); got != "v2" {
		t.Fatalf("database %d holds %q, want v2", dbB, got)
	}
	opened := d.opened()
	if len(opened) != 2 || !strings.HasSuffix(opened[0].url, "/10") || !strings.HasSuffix(opened[1].url, "/11") {
		t.Fatalf("opened %d clients", len(opened))
	}
	waitClosed(t, opened[0], "the old cache")
	if err := old.Ping(ctx).Err(); !errors.Is(err, redis.ErrClosed) {
		t.Fatalf("the old client answers %v, want redis.ErrClosed", err)
	}
	if isClosed(opened[1]) {
		t.Fatal("the new client is closed")
	}
	if st := c.Stats(); st.Open != 1 || st.Retiring != 0 || st.Closed != 1 {
		t.Fatalf("stats %+v", st)
	}

	// An unchanged URL keeps its client.
	mustSet(t, c, a, caches("default", redisURL(t, dbB, ""), "other", redisURL(t, dbA, "")))
	if again := mustClient(ctx, t, c, "default"); again != cl {
		t.Fatal("a config change of another alias replaced this alias's client")
	}
}

// TestRetiredClientWaitsForItsCommand: a client replaced while a
// command runs on it (a blocking BLPOP) is not closed under it: the
// command returns its value, then the client closes.
func TestRetiredClientWaitsForItsCommand(t *testing.T) {
	a := uniq("wait")
	dropKeys(t, dbA, a)
	d := &dialer{}
	c := newCaches(t, cacheaware.Config{Dial: d.dial, RetireGrace: -1})
	mustSet(t, c, a, caches("default", redisURL(t, dbA, "")))
	ctx := as(a)
	old := mustClient(ctx, t, c, "default")
	started := make(chan struct{})
	old.AddHook(onCommand("blpop", started))
	list := "list:" + a
	type result struct {
		v   []string
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := old.BLPop(ctx, 10*time.Second, list).Result()
		done <- result{v, err}
	}()
	<-started

	mustSet(t, c, a, caches("default", redisURL(t, dbB, "")))
	cacheaware.CloseDue(c) // a pass of the janitor over the retired client
	if isClosed(d.opened()[0]) {
		t.Fatal("the retired client was closed under a running command")
	}
	if st := c.Stats(); st.Retiring != 1 {
		t.Fatalf("stats %+v, want 1 retiring", st)
	}
	if err := rawClient(t, dbA).RPush(context.Background(), list, "job").Err(); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil || len(r.v) != 2 || r.v[1] != "job" {
		t.Fatalf("BLPOP on the retired client = %v, %v", r.v, r.err)
	}
	waitClosed(t, d.opened()[0], "the retired client, once idle")
}

// onCommand is a hook that closes started when a command named name
// starts.
func onCommand(name string, started chan struct{}) redis.Hook {
	var once sync.Once
	return hookFunc(func(ctx context.Context, cmd redis.Cmder, next redis.ProcessHook) error {
		if cmd.Name() == name {
			once.Do(func() { close(started) })
		}
		return next(ctx, cmd)
	})
}

type hookFunc func(ctx context.Context, cmd redis.Cmder, next redis.ProcessHook) error

func (h hookFunc) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h hookFunc) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { return h(ctx, cmd, next) }
}
func (h hookFunc) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestRetireGrace: a replaced client stays usable for the grace period,
// closes after it (not before), and Close closes one still in its grace.
func TestRetireGrace(t *testing.T) {
	a := uniq("grace")
	d := &dialer{}
	const grace = 100 * time.Millisecond
	c := newCaches(t, cacheaware.Config{Dial: d.dial, RetireGrace: grace})
	ctx := as(a)
	mustSet(t, c, a, caches("default", redisURL(t, dbA, "")))
	old := mustClient(ctx, t, c, "default")
	if err := old.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	replaced := time.Now()
	mustSet(t, c, a, caches("default", redisURL(t, dbB, "")))
	waitClosed(t, d.opened()[0], "after the grace")
	if waited := time.Since(replaced); waited < grace {
		t.Fatalf("closed %v after it was replaced, before its grace of %v", waited, grace)
	}

	long := newCaches(t, cacheaware.Config{Dial: d.dial, RetireGrace: time.Hour})
	mustSet(t, long, a, caches("default", redisURL(t, dbA, "")))
	old = mustClient(ctx, t, long, "default")
	mustSet(t, long, a, caches("default", redisURL(t, dbB, "")))
	if err := old.Ping(ctx).Err(); err != nil {
		t.Fatalf("a client in its grace: %v", err)
	}
	if st := long.Stats(); st.Retiring != 1 || st.Open != 0 {
		t.Fatalf("stats %+v", st)
	}
	_ = long.Close()
	waitClosed(t, d.opened()[1], "Close")
}

// TestRemoveClosesClients: a removed tenant is unknown, and its clients
// close.
func TestRemoveClosesClients(t *testing.T) {
	a := uniq("rm")
	d := &dialer{}
	c := newCaches(t, cacheaware.Config{Dial: d.dial, RetireGrace: -1})
	mustSet(t, c, a, caches("default", redisURL(t, dbA, ""), "sessions", redisURL(t, dbB, "")))
	for _, alias := range []string{"default", "sessions"} {
		if err := mustClient(as(a), t, c, alias).Ping(as(a)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Remove(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	for _, cl := range d.opened() {
		waitClosed(t, cl, "Remove")
	}
	if _, err := c.Client(as(a), "default"); !errors.Is(err, tenant.ErrUnknown) {
		t.Fatalf("Client of a removed tenant: %v", err)
	}
	if err := c.Remove(context.Background(), a); !errors.Is(err, tenant.ErrUnknown) {
		t.Fatalf("second Remove: %v", err)
	}
}

// TestMaxClientsEvictsLeastRecentlyUsed: past MaxClients, the client
// used least recently is retired and closed, and opened again on use.
func TestMaxClientsEvictsLeastRecentlyUsed(t *testing.T) {
	d := &dialer{}
	c := newCaches(t, cacheaware.Config{Dial: d.dial, RetireGrace: -1, MaxClients: 2})
	ids := []string{uniq("lru-a"), uniq("lru-b"), uniq("lru-c")}
	for _, id := range ids {
		mustSet(t, c, id, caches("default", redisURL(t, dbA, "client_name="+id)))
	}
	use := func(id string) {
		t.Helper()
		if err := mustClient(as(id), t, c, "default").Ping(as(id)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	use(ids[0])
	use(ids[1])
	use(ids[0]) // b is now the least recently used
	use(ids[2])
	opened := d.opened()
	if len(opened) != 3 {
		t.Fatalf("%d clients opened, want 3", len(opened))
	}
	waitClosed(t, opened[1], "eviction of b")
	if isClosed(opened[0]) || isClosed(opened[2]) {
		t.Fatal("a client used more recently than b was closed")
	}
	if st := c.Stats(); st.Open != 2 || st.Evicted != 1 {
		t.Fatalf("stats %+v", st)
	}
	use(ids[1])
	if n := len(d.opened()); n != 4 {
		t.Fatalf("%d clients opened, want b's opened again", n)
	}
}

// TestClientRefusals: no tenant, an invalid tenant, an unknown tenant
// and a missing alias each get their error, and nothing is dialed; a
// reserved alias needs no tenant.
func TestClientRefusals(t *testing.T) {
	d := &dialer{}
	reserved := sharedClient(t, dbShared)
	c := newCaches(t, cacheaware.Config{Dial: d.dial, Reserved: map[string]redis.UniversalClient{"sessions": reserved}})
	a := uniq("refuse")
	mustSet(t, c, a, caches("default", redisURL(t, dbA, ""), "sessions", redisURL(t, dbB, "")))
	tests := []struct {
		name  string
		ctx   context.Context
		alias string
		want  error
	}{
		{"no tenant", context.Background(), "default", tenant.ErrMissing},
		{"invalid tenant", as("../x"), "default", tenant.ErrInvalidID},
		{"unknown tenant", as("nobody"), "default", tenant.ErrUnknown},
		{"no such alias", as(a), "reports", cacheaware.ErrNoCache},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl, err := c.Client(tt.ctx, tt.alias)
			if !errors.Is(err, tt.want) || cl != nil {
				t.Fatalf("Client = %v, %v; want nil, %v", cl, err, tt.want)
			}
		})
	}
	if n := len(d.opened()); n != 0 {
		t.Fatalf("%d clients dialed for refused calls", n)
	}
	// The reserved alias wins over the tenant's entry of the same name.
	for _, ctx := range []context.Context{context.Background(), as(a)} {
		if cl := mustClient(ctx, t, c, "sessions"); cl != reserved {
			t.Fatalf("Client(sessions) = %v, want the reserved client", cl)
		}
	}
}

// TestSetRefusesBadConfig: a bad tenant config is refused with an error
// naming what is wrong (never a password) and changes nothing.
func TestSetRefusesBadConfig(t *testing.T) {
	c := newCaches(t, cacheaware.Config{RetireGrace: -1})
	a := uniq("badset")
	good := caches("default", redisURL(t, dbA, ""))
	mustSet(t, c, a, good)
	before := mustClient(as(a), t, c, "default")
	tests := []struct {
		name string
		id   string
		cfg  tenantconfig.Config
		want string
	}{
		{"bad URL", a, caches("default", "redis://user:s3cret-pw@127.0.0.1:99999/1"), `cache_config.default: redisurl: bad Redis URL: invalid port "99999"`},
		{"bad scheme", a, caches("default", "http://user:s3cret-pw@h/1"), `cache_config.default: redisurl: bad Redis URL: scheme "http"`},
		{"empty alias", a, caches("", redisURL(t, dbB, "")), "cache_config has an empty alias"},
		{"invalid id", "a/b", good, "invalid tenant id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Set(context.Background(), tt.id, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("Set = %v, want an error with %q and no password", err, tt.want)
			}
			if cl := mustClient(as(a), t, c, "default"); cl != before {
				t.Fatal("a refused config changed the tenant's client")
			}
		})
	}
}

// TestNewRefusesBadConfig: New names the bad field.
func TestNewRefusesBadConfig(t *testing.T) {
	one, other := sharedClient(t, dbShared), sharedClient(t, dbShared)
	tests := []struct {
		name string
		cfg  cacheaware.Config
		want string
	}{
		{"MaxClients", cacheaware.Config{MaxClients: -2}, "MaxClients -2"},
		{"RetireGrace", cacheaware.Config{RetireGrace: -2}, "RetireGrace -2ns"},
		{"nil reserved", cacheaware.Config{Reserved: map[string]redis.UniversalClient{"x": nil}}, `Reserved["x"]`},
		{"empty shared alias", cacheaware.Config{Shared: map[string]redis.UniversalClient{"": one}}, `Shared[""]`},
		{"reserved and shared", cacheaware.Config{
			Reserved: map[string]redis.UniversalClient{"x": one},
			Shared:   map[string]redis.UniversalClient{"x": other},
		}, `alias "x" is both`},
		{"one client shared twice", cacheaware.Config{Shared: map[string]redis.UniversalClient{"x": one, "y": one}}, "are one client"},
		{"a reserved client shared", cacheaware.Config{
			Reserved: map[string]redis.UniversalClient{"x": one},
			Shared:   map[string]redis.UniversalClient{"y": one},
		}, "are one client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := cacheaware.New(tt.cfg)
			if !errors.Is(err, cacheaware.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) || c != nil {
				t.Fatalf("New = %v, %v; want ErrInvalidConfig naming %q", c, err, tt.want)
			}
		})
	}
}

// TestClosed: after Close every method returns ErrClosed, and a second
// Close returns nil.
func TestClosed(t *testing.T) {
	shared := sharedClient(t, dbShared)
	c, err := cacheaware.New(cacheaware.Config{Logger: quiet, Shared: map[string]redis.UniversalClient{"s": shared}})
	if err != nil {
		t.Fatal(err)
	}
	a := uniq("closed")
	mustSet(t, c, a, caches("default", redisURL(t, dbA, "")))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, alias := range []string{"default", "s"} {
		if _, err := c.Client(as(a), alias); !errors.Is(err, cacheaware.ErrClosed) {
			t.Fatalf("Client(%s) after Close: %v", alias, err)
		}
	}
	if err := c.Set(context.Background(), a, caches()); !errors.Is(err, cacheaware.ErrClosed) {
		t.Fatalf("Set after Close: %v", err)
	}
	if err := c.Remove(context.Background(), a); !errors.Is(err, cacheaware.ErrClosed) {
		t.Fatalf("Remove after Close: %v", err)
	}
	if _, err := c.Invalidate(as(a), "s"); !errors.Is(err, cacheaware.ErrClosed) {
		t.Fatalf("Invalidate after Close: %v", err)
	}
}
