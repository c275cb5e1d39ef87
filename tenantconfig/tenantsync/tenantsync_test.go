package tenantsync_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// dir holds the tests' database files.
var dir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "tenantsync")
	if err != nil {
		panic(err)
	}
	dir = d
	code := m.Run()
	_ = os.RemoveAll(d)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// cfg configures a tenant's database as a file of the tests' directory,
// unless name is already a path.
func cfg(name string) tenantconfig.Config {
	if !filepath.IsAbs(name) && name != "" {
		name = filepath.Join(dir, name)
	}
	return tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Name: name}}},
	}}
}

func put(id, name string) tenantconfig.Change {
	return tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: cfg(name)}
}

func mustApply(t *testing.T, s tenantconfig.Store, changes ...tenantconfig.Change) []uint64 {
	t.Helper()
	vs, err := s.Apply(context.Background(), changes...)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func newResolver(t *testing.T) *resolver.Resolver {
	t.Helper()
	return newLoggedResolver(t, fixture.Quiet())
}

// newLoggedResolver is newResolver logging to logger.
func newLoggedResolver(t *testing.T, logger *slog.Logger) *resolver.Resolver {
	t.Helper()
	r, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func start(t *testing.T, store tenantconfig.Store, r tenantsync.Target, opts ...tenantsync.Option) *tenantsync.Syncer {
	t.Helper()
	opts = append([]tenantsync.Option{tenantsync.WithLogger(fixture.Quiet())}, opts...)
	s, err := tenantsync.Start(context.Background(), store, r, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// state is what the resolver holds: tenant → database name.
func state(r *resolver.Resolver) map[string]string {
	out := map[string]string{}
	for _, id := range r.Tenants() {
		c, _ := r.Database(id)
		out[id] = filepath.Base(c.Name)
	}
	return out
}

func storeState(t *testing.T, s tenantconfig.Store) map[string]string {
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for id, rec := range snap {
		out[id] = filepath.Base(rec.Config.ORM[tenantconfig.GORM][tenantconfig.DefaultAlias].Name)
	}
	return out
}

func eventually(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestBootRefusesEmptyStore(t *testing.T) {
	r := newResolver(t)
	_, err := tenantsync.Start(context.Background(), memstore.New(), r, tenantsync.WithName("store X"), tenantsync.WithLogger(fixture.Quiet()))
	if !errors.Is(err, tenantsync.ErrEmptyStore) || !strings.Contains(err.Error(), "store X") {
		t.Fatalf("err = %v", err)
	}
	start(t, memstore.New(), r, tenantsync.WithAllowEmpty())
}

func TestHooksRunInOrderAfterBoot(t *testing.T) {
	store := memstore.New()
	if _, err := store.Apply(context.Background(), put("a", "a.db")); err != nil {
		t.Fatal(err)
	}
	r := newResolver(t)
	var order []string
	hook := func(name string) func(context.Context) error {
		return func(context.Context) error {
			if !r.Has("a") {
				return fmt.Errorf("hook %s ran before the snapshot", name)
			}
			order = append(order, name)
			return nil
		}
	}
	start(t, store, r, tenantsync.WithHooks(hook("first"), hook("second")))
	if !slices.Equal(order, []string{"first", "second"}) {
		t.Fatalf("hooks ran %v", order)
	}
	boom := errors.New("boom")
	r2 := newResolver(t)
	_, err := tenantsync.Start(context.Background(), store, r2,
		tenantsync.WithLogger(fixture.Quiet()), tenantsync.WithHooks(func(context.Context) error { return boom }))
	if !errors.Is(err, boom) {
		t.Fatalf("hook error: %v", err)
	}
	if len(r2.Tenants()) != 0 {
		t.Fatalf("a failed Start left tenants: %v", r2.Tenants())
	}
}

func TestChangesPropagate(t *testing.T) {
	store := memstore.New()
	mustApply(t, store, put("a", "a1.db"))
	r := newResolver(t)
	s := start(t, store, r)
	mustApply(t, store, put("b", "b1.db"))
	mustApply(t, store, put("a", "a2.db"))
	eventually(t, time.Second, "add and update applied", func() bool {
		return reflect.DeepEqual(state(r), map[string]string{"a": "a2.db", "b": "b1.db"})
	})
	mustApply(t, store, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "a"})
	eventually(t, time.Second, "remove applied", func() bool { return !r.Has("a") })
	if st := s.Stats(); st.Tenants != 1 || st.Refused != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestBurst applies 1,000 changes to 50 tenants as fast as possible: the
// resolver ends equal to the store.
func TestBurst(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	mustApply(t, store, put("seed", "seed.db"))
	r := newResolver(t)
	s := start(t, store, r)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				id := fmt.Sprintf("t%02d", (w*250+i)%50)
				c := put(id, fmt.Sprintf("%s-%d.db", id, i))
				if i%17 == 16 {
					c = tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: id}
				}
				if _, err := store.Apply(ctx, c); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	want := storeState(t, store)
	eventually(t, 2*time.Second, "resolver equal to the store", func() bool { return reflect.DeepEqual(state(r), want) })
	t.Logf("stats after the burst: %+v", s.Stats())
}

// scriptedStore lets a test deliver announcements itself: late,
// duplicated and out of order.
type scriptedStore struct {
	*memstore.Store
	mu     sync.Mutex
	events func(tenantconfig.Event)
	resync func()
}

func (s *scriptedStore) Watch(_ context.Context, events func(tenantconfig.Event), resync func()) (func(), error) {
	s.mu.Lock()
	s.events, s.resync = events, resync
	s.mu.Unlock()
	return func() {}, nil
}

func TestOutOfOrderAndDuplicateAnnouncements(t *testing.T) {
	ctx := context.Background()
	store := &scriptedStore{Store: memstore.New()}
	v1, _ := store.Apply(ctx, put("a", "a1.db"))
	r := newResolver(t)
	s := start(t, store, r)
	v2, _ := store.Apply(ctx, put("a", "a2.db"))
	v3, _ := store.Apply(ctx, put("a", "a3.db"))
	// Newest first, then older and duplicate ones.
	store.events(tenantconfig.Event{Tenant: "a", Version: v3[0]})
	eventually(t, time.Second, "newest applied", func() bool { return state(r)["a"] == "a3.db" })
	for _, v := range []uint64{v2[0], v1[0], v3[0], v2[0]} {
		store.events(tenantconfig.Event{Tenant: "a", Version: v})
	}
	vd, _ := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "a"})
	store.events(tenantconfig.Event{Tenant: "a", Version: vd[0], Deleted: true})
	eventually(t, time.Second, "delete applied", func() bool { return !r.Has("a") })
	// A stale put after the delete does not bring the tenant back.
	store.events(tenantconfig.Event{Tenant: "a", Version: v3[0]})
	time.Sleep(50 * time.Millisecond)
	if r.Has("a") {
		t.Fatal("a stale announcement brought a deleted tenant back")
	}
	if s.Stats().Stale == 0 {
		t.Fatalf("no stale announcement counted: %+v", s.Stats())
	}
}

func TestLostAnnouncementRepairedByResync(t *testing.T) {
	store := &scriptedStore{Store: memstore.New()}
	mustApply(t, store, put("a", "a1.db"))
	r := newResolver(t)
	start(t, store, r, tenantsync.WithResyncInterval(time.Hour))
	mustApply(t, store, put("b", "b1.db")) // announcement lost
	time.Sleep(20 * time.Millisecond)
	if r.Has("b") {
		t.Fatal("b arrived without an announcement")
	}
	store.resync() // as on a re-subscription
	eventually(t, time.Second, "resync applied b", func() bool { return r.Has("b") })
}

func TestBadConfigKeepsLastGood(t *testing.T) {
	store := memstore.New()
	mustApply(t, store, put("a", "a1.db"), put("b", "b1.db"))
	r := newResolver(t)
	s := start(t, store, r)
	bad := cfg("")
	bad.ORM[tenantconfig.GORM][tenantconfig.DefaultAlias] = tenantconfig.Database{DataSource: tenantconfig.DataSource{Driver: "mysql", Name: "x"}}
	mustApply(t, store, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "a", Config: bad}, put("b", "b2.db"))
	eventually(t, time.Second, "b changed", func() bool { return state(r)["b"] == "b2.db" })
	if got := state(r)["a"]; got != "a1.db" {
		t.Fatalf("a = %q, want its last good a1.db", got)
	}
	if s.Stats().Refused == 0 {
		t.Fatal("refusal not counted")
	}
}

// TestUnreachableDatabaseKeepsLastGood changes a tenant, whose pool is
// not open, to a database that cannot be opened: it stays on the old one.
func TestUnreachableDatabaseKeepsLastGood(t *testing.T) {
	store := memstore.New()
	mustApply(t, store, put("a", filepath.Join(t.TempDir(), "a1.db")))
	r := newResolver(t)
	s := start(t, store, r)
	mustApply(t, store, put("a", filepath.Join(t.TempDir(), "no", "such", "dir", "a2.db")))
	eventually(t, time.Second, "refusal counted", func() bool { return s.Stats().Refused > 0 })
	if got := state(r)["a"]; !strings.HasSuffix(got, "a1.db") {
		t.Fatalf("a = %q, want its last good a1.db", got)
	}
}

func TestEmptyStoreKeepsTenants(t *testing.T) {
	store := &scriptedStore{Store: memstore.New()}
	mustApply(t, store, put("a", "a1.db"), put("b", "b1.db"))
	r := newResolver(t)
	s := start(t, store, r)
	// Empty the store behind the syncer's back, as a Redis restarted
	// without persistence would.
	store.Store = memstore.New()
	store.resync()
	eventually(t, time.Second, "empty store reported", func() bool { return s.Stats().EmptyStore > 0 })
	if !r.Has("a") || !r.Has("b") {
		t.Fatalf("tenants dropped: %v", r.Tenants())
	}
}

// TestRedisRestart restarts Redis while the syncer watches and changes a
// tenant right after: the re-subscription's resync applies it.
func TestRedisRestart(t *testing.T) {
	ctx := context.Background()
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	defer client.Close()
	store, err := redisstore.New(client, "hospital", redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Apply(ctx, put("a", "a1.db")); err != nil {
		t.Fatal(err)
	}
	r := newResolver(t)
	start(t, store, r, tenantsync.WithResyncInterval(time.Hour))
	mr.Close()
	time.Sleep(50 * time.Millisecond)
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	// A change made before the watcher is back: its announcement is lost.
	other := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer other.Close()
	store2, _ := redisstore.New(other, "hospital", redisstore.WithLogger(fixture.Quiet()))
	if _, err := store2.Apply(ctx, put("a", "a2.db"), put("b", "b.db")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "changes made during the restart applied", func() bool {
		return reflect.DeepEqual(state(r), map[string]string{"a": "a2.db", "b": "b.db"})
	})
}

// TestStoreWentBack: the store loses its data and starts its versions
// again (a Redis restarted without persistence, or flushed, then
// reloaded): its new, lower versions are applied, by announcement and by
// resync.
func TestStoreWentBack(t *testing.T) {
	store := &scriptedStore{Store: memstore.New()}
	for i := range 5 {
		mustApply(t, store, put("a", fmt.Sprintf("a%d.db", i)))
	}
	r := newResolver(t)
	start(t, store, r, tenantsync.WithResyncInterval(time.Hour))
	store.Store = memstore.New() // wiped
	store.resync()
	time.Sleep(20 * time.Millisecond)
	if state(r)["a"] != "a4.db" {
		t.Fatalf("a = %q after the wipe, want a4.db kept", state(r)["a"])
	}
	v := mustApply(t, store, put("a", "reloaded.db")) // version 1 again
	store.events(tenantconfig.Event{Tenant: "a", Version: v[0]})
	eventually(t, time.Second, "the reloaded config applied", func() bool { return state(r)["a"] == "reloaded.db" })
	v = mustApply(t, store, put("a", "next.db"))
	store.events(tenantconfig.Event{Tenant: "a", Version: v[0]})
	eventually(t, time.Second, "the next change applied", func() bool { return state(r)["a"] == "next.db" })
}

// undecodableStore reports tenant "a" as not decoding in its snapshots
// once broken is set.
type undecodableStore struct {
	*scriptedStore
	broken atomic.Bool
}

func (s *undecodableStore) Snapshot(ctx context.Context) (map[string]tenantconfig.Record, error) {
	snap, err := s.scriptedStore.Snapshot(ctx)
	if err != nil || !s.broken.Load() {
		return snap, err
	}
	delete(snap, "a")
	return snap, &tenantconfig.UndecodableError{Tenants: []string{"a"}, Err: errors.New("bad json")}
}

// Records leaves "a" out, once broken, as a store whose record of a does
// not decode.
func (s *undecodableStore) Records(ctx context.Context, ids []string) (map[string]tenantconfig.SummedRecord, error) {
	recs, err := s.scriptedStore.Records(ctx, ids)
	if _, ok := recs["a"]; err != nil || !ok || !s.broken.Load() {
		return recs, err
	}
	delete(recs, "a")
	return recs, &tenantconfig.UndecodableError{Tenants: []string{"a"}, Err: errors.New("bad json")}
}

// TestUndecodableConfigKeepsTenant: a tenant whose config no longer
// decodes (written so meanwhile) is left as it was, read whole or by its
// digest.
func TestUndecodableConfigKeepsTenant(t *testing.T) {
	for _, kind := range []string{"digest", "snapshot"} {
		t.Run(kind, func(t *testing.T) {
			store := &undecodableStore{scriptedStore: &scriptedStore{Store: memstore.New()}}
			var st tenantconfig.Store = store
			if kind == "snapshot" {
				st = snapshotOnly{store.scriptedStore}
				st = undecodableSnapshot{snapshotOnly: st.(snapshotOnly), u: store}
			}
			mustApply(t, st, put("a", "a1.db"), put("b", "b1.db"))
			r := newResolver(t)
			s := start(t, st, r, tenantsync.WithResyncInterval(time.Hour))
			store.broken.Store(true)
			mustApply(t, st, put("a", "a2.db")) // the write that does not decode
			store.resync()
			eventually(t, time.Second, "the undecodable config counted", func() bool { return s.Stats().Refused > 0 })
			if !r.Has("a") || !r.Has("b") || state(r)["a"] != "a1.db" {
				t.Fatalf("tenants after the resync: %v", state(r))
			}
		})
	}
}

// undecodableSnapshot is undecodableStore read whole.
type undecodableSnapshot struct {
	snapshotOnly
	u *undecodableStore
}

func (s undecodableSnapshot) Snapshot(ctx context.Context) (map[string]tenantconfig.Record, error) {
	return s.u.Snapshot(ctx)
}

// TestLastTenantDeletedWithoutAnnouncement: the store was emptied on
// purpose (its revision says so): the resync removes the tenant.
func TestLastTenantDeletedWithoutAnnouncement(t *testing.T) {
	store := &scriptedStore{Store: memstore.New()}
	mustApply(t, store, put("a", "a1.db"))
	r := newResolver(t)
	s := start(t, store, r, tenantsync.WithResyncInterval(time.Hour))
	mustApply(t, store, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "a"}) // announcement lost
	store.resync()
	eventually(t, time.Second, "a removed", func() bool { return !r.Has("a") })
	if s.Stats().EmptyStore != 0 {
		t.Fatalf("an emptied store taken for a lost one: %+v", s.Stats())
	}
}

// TestStartDoesNotHang: against a server that accepts and never answers,
// Start fails within the client's own timeouts (go-redis's read timeout
// bounds its handshake) and its subscription wait.
func TestStartDoesNotHang(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	client := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), MaxRetries: -1})
	defer client.Close()
	store, err := redisstore.New(client, "hospital", redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	begin := time.Now()
	_, err = tenantsync.Start(ctx, store, newResolver(t), tenantsync.WithLogger(fixture.Quiet()))
	if err == nil {
		t.Fatal("Start succeeded against a server that never answers")
	}
	if d := time.Since(begin); d > 15*time.Second {
		t.Fatalf("Start returned after %v", d)
	}
}
