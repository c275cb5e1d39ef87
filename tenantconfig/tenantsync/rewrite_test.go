package tenantsync_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// rewritableStore is a store whose history can be rewritten, as a Redis
// failover does when the promoted replica had not received the last
// acknowledged writes: lose forgets the last changes and puts the version
// counter back, so the next changes reuse the lost ones' versions with
// other content. It announces each change on Apply unless muted.
type rewritableStore struct {
	mu     sync.Mutex
	inner  *memstore.Store
	log    []tenantconfig.Change // every change applied, in version order
	events func(tenantconfig.Event)
	resync func()
	mute   bool
}

func newRewritableStore() *rewritableStore { return &rewritableStore{inner: memstore.New()} }

// digestingStore is a rewritableStore that is a tenantconfig.Digester:
// the Syncer reads its digest and the records that differ, where it reads
// a rewritableStore whole.
type digestingStore struct{ *rewritableStore }

func (s digestingStore) Digest(ctx context.Context) (tenantconfig.Digest, error) {
	return s.store().Digest(ctx)
}

func (s digestingStore) ScanSums(ctx context.Context, fn func(map[string]tenantconfig.Sum) error) error {
	return s.store().ScanSums(ctx, fn)
}

func (s digestingStore) Records(ctx context.Context, ids []string) (map[string]tenantconfig.SummedRecord, error) {
	return s.store().Records(ctx, ids)
}

// rewritableKinds runs f with each kind of rewritable store: read whole
// ("snapshot") and read by its digest ("digest").
func rewritableKinds(t *testing.T, f func(t *testing.T, newStore func() (tenantconfig.Store, *rewritableStore))) {
	t.Run("snapshot", func(t *testing.T) {
		f(t, func() (tenantconfig.Store, *rewritableStore) { s := newRewritableStore(); return s, s })
	})
	t.Run("digest", func(t *testing.T) {
		f(t, func() (tenantconfig.Store, *rewritableStore) { s := newRewritableStore(); return digestingStore{s}, s })
	})
}

func (s *rewritableStore) store() *memstore.Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inner
}

func (s *rewritableStore) List(ctx context.Context) ([]string, error) { return s.store().List(ctx) }

func (s *rewritableStore) Get(ctx context.Context, id string) (tenantconfig.Record, error) {
	return s.store().Get(ctx, id)
}

func (s *rewritableStore) Snapshot(ctx context.Context) (map[string]tenantconfig.Record, error) {
	return s.store().Snapshot(ctx)
}

func (s *rewritableStore) Revision(ctx context.Context) (uint64, error) {
	return s.store().Revision(ctx)
}

func (s *rewritableStore) Apply(ctx context.Context, changes ...tenantconfig.Change) ([]uint64, error) {
	s.mu.Lock()
	vs, err := s.inner.Apply(ctx, changes...)
	if err == nil {
		s.log = append(s.log, changes...)
	}
	events, mute := s.events, s.mute
	s.mu.Unlock()
	if err == nil && !mute && events != nil {
		for i, c := range changes {
			events(tenantconfig.Event{Tenant: c.Tenant, Version: vs[i], Deleted: c.Kind == tenantconfig.DeleteTenant})
		}
	}
	return vs, err
}

func (s *rewritableStore) Watch(_ context.Context, events func(tenantconfig.Event), resync func()) (func(), error) {
	s.mu.Lock()
	s.events, s.resync = events, resync
	s.mu.Unlock()
	return func() {}, nil
}

// setMute drops (or delivers again) the announcements of later changes.
func (s *rewritableStore) setMute(m bool) {
	s.mu.Lock()
	s.mute = m
	s.mu.Unlock()
}

// lose forgets the last n changes: the store holds what it held before
// them, and its counter is back to the last version kept.
func (s *rewritableStore) lose(t *testing.T, n int) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := slices.Clone(s.log[:len(s.log)-n])
	fresh := memstore.New()
	for _, c := range kept {
		c.Create, c.Existing, c.IfVersion = false, false, 0
		if _, err := fresh.Apply(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	s.inner, s.log = fresh, kept
}

// resyncNow asks the syncer for a resync, as a re-subscription does, and
// waits until it has been applied.
func resyncNow(t *testing.T, store *rewritableStore, s *tenantsync.Syncer) {
	t.Helper()
	before := s.Stats().Resyncs
	store.mu.Lock()
	resync := store.resync
	store.mu.Unlock()
	resync()
	eventually(t, time.Second, "the resync ran", func() bool { return s.Stats().Resyncs > before })
}

func del(id string) tenantconfig.Change {
	return tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: id}
}

// mismatch describes how the resolver differs from the store, comparing
// each tenant's whole database config; "" when it holds exactly the
// store's tenants.
func mismatch(t *testing.T, r *resolver.Resolver, store tenantconfig.Store) string {
	t.Helper()
	snap, err := store.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var diffs []string
	for id, rec := range snap {
		want, _ := rec.Config.Database(tenantconfig.GORM, tenantconfig.DefaultAlias)
		switch got, ok := r.Database(id); {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s: missing, the store has %s", id, filepath.Base(want.Name)))
		case !got.Equal(want):
			diffs = append(diffs, fmt.Sprintf("%s: holds %s, the store has %s", id, filepath.Base(got.Name), filepath.Base(want.Name)))
		}
	}
	for _, id := range r.Tenants() {
		if _, ok := snap[id]; !ok {
			diffs = append(diffs, id+": held, not in the store")
		}
	}
	sort.Strings(diffs)
	return strings.Join(diffs, "; ")
}

func holdsExactly(t *testing.T, r *resolver.Resolver, store tenantconfig.Store, when string) {
	t.Helper()
	if d := mismatch(t, r, store); d != "" {
		t.Fatalf("%s: the resolver differs from the store: %s", when, d)
	}
}

func eventuallyHoldsExactly(t *testing.T, r *resolver.Resolver, store tenantconfig.Store, when string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		d := mismatch(t, r, store)
		if d == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: after 1s the resolver still differs from the store: %s", when, d)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestRewrittenHistory: the store loses acknowledged changes that a
// watcher applied, and the next changes reuse their versions with other
// content. After the next announcement, and after the next resync, the
// resolver holds exactly the store's tenants.
func TestRewrittenHistory(t *testing.T) {
	cases := []rewriteCase{
		{"create", []tenantconfig.Change{put("c", "c-lost.db")}, []tenantconfig.Change{put("c", "c-new.db")}, true},
		{"update", []tenantconfig.Change{put("a", "a-lost.db")}, []tenantconfig.Change{put("a", "a-new.db")}, true},
		{"delete", []tenantconfig.Change{del("b")}, []tenantconfig.Change{put("b", "b-new.db")}, false},
		{"several", []tenantconfig.Change{put("a", "a-lost.db"), del("b"), put("c", "c-lost.db")},
			[]tenantconfig.Change{put("c", "c-new.db"), put("a", "a-new.db")}, true},
	}
	rewritableKinds(t, func(t *testing.T, newStore func() (tenantconfig.Store, *rewritableStore)) {
		for _, tc := range cases {
			testRewrittenHistory(t, newStore, tc)
		}
	})
}

// rewriteCase is a case of TestRewrittenHistory.
type rewriteCase struct {
	name string
	lost []tenantconfig.Change // applied by the watcher, then lost
	next []tenantconfig.Change // reuse the lost versions
	// corrected: the syncer can tell that the store went back.
	corrected bool
}

func testRewrittenHistory(t *testing.T, newStore func() (tenantconfig.Store, *rewritableStore), tc rewriteCase) {
	setup := func(t *testing.T) (*rewritableStore, *resolver.Resolver, *tenantsync.Syncer) {
		st, store := newStore()
		mustApply(t, store, put("a", "a1.db"), put("b", "b1.db"))
		r := newResolver(t)
		s := start(t, st, r, tenantsync.WithResyncInterval(-1))
		for _, c := range tc.lost {
			mustApply(t, store, c)
		}
		eventuallyHoldsExactly(t, r, store, "the changes to be lost")
		store.lose(t, len(tc.lost))
		return store, r, s
	}
	t.Run(tc.name+"/announcement", func(t *testing.T) {
		store, r, s := setup(t)
		for _, c := range tc.next {
			mustApply(t, store, c)
		}
		eventuallyHoldsExactly(t, r, store, "after the announcements")
		if tc.corrected {
			// Counted just after the resolver shows the change.
			eventually(t, time.Second, "a correction counted", func() bool { return s.Stats().Corrected > 0 })
		}
	})
	t.Run(tc.name+"/resync", func(t *testing.T) {
		store, r, s := setup(t)
		store.setMute(true) // their announcements are lost too
		for _, c := range tc.next {
			mustApply(t, store, c)
		}
		resyncNow(t, store, s)
		holdsExactly(t, r, store, "after the resync")
		if tc.corrected && s.Stats().Corrected == 0 {
			t.Fatalf("no correction counted: %+v", s.Stats())
		}
	})
	t.Run(tc.name+"/resync-then-announcement", func(t *testing.T) {
		store, r, s := setup(t)
		resyncNow(t, store, s)
		holdsExactly(t, r, store, "after the resync that follows the loss")
		for _, c := range tc.next {
			mustApply(t, store, c)
		}
		eventuallyHoldsExactly(t, r, store, "after the announcements")
		resyncNow(t, store, s)
		holdsExactly(t, r, store, "after the next resync")
	})
}

// TestRewrittenHistoryThenEmptied: after the store lost changes, its
// revision is below versions the watcher applied; when every tenant is
// then removed on purpose, the resync still removes them rather than
// taking the store for one that lost its data.
func TestRewrittenHistoryThenEmptied(t *testing.T) {
	rewritableKinds(t, testRewrittenHistoryThenEmptied)
}

func testRewrittenHistoryThenEmptied(t *testing.T, newStore func() (tenantconfig.Store, *rewritableStore)) {
	st, store := newStore()
	mustApply(t, store, put("a", "a1.db"), put("b", "b1.db"))
	r := newResolver(t)
	s := start(t, st, r, tenantsync.WithResyncInterval(-1))
	mustApply(t, store, put("c", "c1.db"))
	mustApply(t, store, put("c", "c2.db"))
	mustApply(t, store, put("c", "c3.db"))
	eventuallyHoldsExactly(t, r, store, "before the loss")
	store.lose(t, 3)
	resyncNow(t, store, s)
	holdsExactly(t, r, store, "after the loss")
	store.setMute(true)
	mustApply(t, store, del("a"), del("b")) // revision 4, below the 5 applied
	resyncNow(t, store, s)
	holdsExactly(t, r, store, "after the store was emptied")
	if st := s.Stats(); st.EmptyStore != 0 || st.Tenants != 0 {
		t.Fatalf("an emptied store taken for one that lost its data: %+v", st)
	}
}

// countingTarget counts the changes a syncer makes to a resolver, and
// the checks before them.
type countingTarget struct {
	*resolver.Resolver
	sets, verifies atomic.Int64
}

func (c *countingTarget) Set(ctx context.Context, id string, db tenantconfig.Database) error {
	c.sets.Add(1)
	return c.Resolver.Set(ctx, id, db)
}

func (c *countingTarget) Verify(ctx context.Context, db tenantconfig.Database) error {
	c.verifies.Add(1)
	return c.Resolver.Verify(ctx, db)
}

// TestDuplicatesChangeNothing: an announcement or a resync of a record
// the resolver already holds (same version, same content) sets nothing.
func TestDuplicatesChangeNothing(t *testing.T) {
	rewritableKinds(t, testDuplicatesChangeNothing)
}

func testDuplicatesChangeNothing(t *testing.T, newStore func() (tenantconfig.Store, *rewritableStore)) {
	st, store := newStore()
	vs := mustApply(t, store, put("a", "a1.db"), put("b", "b1.db"))
	target := &countingTarget{Resolver: newResolver(t)}
	s := start(t, st, target, tenantsync.WithResyncInterval(-1))
	if n := target.sets.Load(); n != 2 {
		t.Fatalf("%d sets at boot, want 2", n)
	}
	// Duplicates of a's announcement, then a change to b: the syncer
	// applies announcements in tenant order, so once b's change is
	// applied the duplicates were handled.
	store.events(tenantconfig.Event{Tenant: "a", Version: vs[0]})
	store.events(tenantconfig.Event{Tenant: "a", Version: vs[0]})
	mustApply(t, store, put("b", "b2.db"))
	eventually(t, time.Second, "b's change applied", func() bool { return state(target.Resolver)["b"] == "b2.db" })
	resyncNow(t, store, s)
	holdsExactly(t, target.Resolver, store, "after the duplicates and the resync")
	if n, v := target.sets.Load(), target.verifies.Load(); n != 3 || v != 1 {
		t.Fatalf("%d sets and %d checks, want 3 and 1 (b's change only)", n, v)
	}
	// The same database at a new version: the version moves, nothing is
	// checked again.
	v := mustApply(t, store, put("a", "a1.db"))
	eventually(t, time.Second, "a's new version applied", func() bool {
		db, _ := target.Database("a")
		return db.Version == v[0]
	})
	if v := target.verifies.Load(); v != 1 {
		t.Fatalf("%d checks, want 1: an unchanged database was checked again", v)
	}
	if st := s.Stats(); st.Corrected != 0 {
		t.Fatalf("corrections counted without a rewritten history: %+v", st)
	}
}
