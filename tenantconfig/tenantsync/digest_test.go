package tenantsync_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// readCounter is a Digester store whose announcements the test delivers
// (none unless it does), and which counts what is read of it.
type readCounter struct {
	*scriptedStore
	snapshots, scans, recordCalls, recordsRead, maxChunk atomic.Int64
}

func newReadCounter() *readCounter {
	return &readCounter{scriptedStore: &scriptedStore{Store: memstore.New()}}
}

// readCounterStore returns a new readCounter, and the store a test of
// kind reads: the counter itself for "digest", for "snapshot" the same
// store without its Digester methods.
func readCounterStore(kind string) (*readCounter, tenantconfig.Store) {
	c := newReadCounter()
	if kind == "snapshot" {
		return c, snapshotOnly{c.scriptedStore}
	}
	return c, c
}

func (c *readCounter) Snapshot(ctx context.Context) (map[string]tenantconfig.Record, error) {
	c.snapshots.Add(1)
	return c.scriptedStore.Snapshot(ctx)
}

func (c *readCounter) ScanSums(ctx context.Context, fn func(map[string]tenantconfig.Sum) error) error {
	c.scans.Add(1)
	return c.scriptedStore.ScanSums(ctx, fn)
}

func (c *readCounter) Records(ctx context.Context, ids []string) (map[string]tenantconfig.SummedRecord, error) {
	c.recordCalls.Add(1)
	c.recordsRead.Add(int64(len(ids)))
	for {
		m := c.maxChunk.Load()
		if int64(len(ids)) <= m || c.maxChunk.CompareAndSwap(m, int64(len(ids))) {
			break
		}
	}
	return c.scriptedStore.Records(ctx, ids)
}

var _ tenantconfig.Digester = (*readCounter)(nil)

// resyncAndWait asks for a resync and waits until it has been applied.
func resyncAndWait(t *testing.T, s *tenantsync.Syncer) {
	t.Helper()
	before := s.Stats().Resyncs
	s.Resync()
	eventually(t, 5*time.Second, "the resync ran", func() bool { return s.Stats().Resyncs > before })
}

// TestDigestResync: on a Digester store, the boot reads the tenants in
// chunks, never the whole snapshot; a resync when nothing changed reads
// no record; one after a lost announcement reads that tenant only.
func TestDigestResync(t *testing.T) {
	store := newReadCounter()
	const n = 2500
	for i := 0; i < n; i += 500 {
		changes := make([]tenantconfig.Change, 0, 500)
		for j := i; j < i+500; j++ {
			changes = append(changes, put(fmt.Sprintf("t%04d", j), fmt.Sprintf("t%04d.db", j)))
		}
		mustApply(t, store, changes...)
	}
	r := newResolver(t)
	s := start(t, store, r, tenantsync.WithResyncInterval(-1))
	if got := len(r.Tenants()); got != n {
		t.Fatalf("%d tenants after boot, want %d", got, n)
	}
	if sn, m := store.snapshots.Load(), store.maxChunk.Load(); sn != 0 || m > 1000 {
		t.Fatalf("boot: %d snapshots, chunks of up to %d records: want none and at most 1000", sn, m)
	}

	read := store.recordsRead.Load()
	scans := store.scans.Load()
	resyncAndWait(t, s)
	if got := store.recordsRead.Load() - read; got != 0 || store.scans.Load() != scans || store.snapshots.Load() != 0 {
		t.Fatalf("an idle resync read %d records, %d scans, %d snapshots: want none",
			got, store.scans.Load()-scans, store.snapshots.Load())
	}

	mustApply(t, store, put("t0042", "t0042-new.db"), put("new", "new.db")) // announcements lost
	mustApply(t, store, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "t0007"})
	read = store.recordsRead.Load()
	resyncAndWait(t, s)
	if got := store.recordsRead.Load() - read; got != 3 {
		t.Fatalf("the resync after three changes read %d records, want 3", got)
	}
	holdsExactly(t, r, store, "after the resync")

	read = store.recordsRead.Load()
	resyncAndWait(t, s)
	if got := store.recordsRead.Load() - read; got != 0 {
		t.Fatalf("the next idle resync read %d records, want none", got)
	}
	if st := s.Stats(); st.Tenants != n || st.Corrected != 0 || st.Refused != 0 {
		t.Fatalf("stats: %+v", st)
	}
}

// TestDigestAfterAnnouncements: changes applied from announcements leave
// the Syncer holding the store's digest: the next resync reads nothing.
func TestDigestAfterAnnouncements(t *testing.T) {
	store := &readCounter{scriptedStore: &scriptedStore{Store: memstore.New()}}
	mustApply(t, store, put("a", "a1.db"), put("b", "b1.db"))
	r := newResolver(t)
	s := start(t, store, r, tenantsync.WithResyncInterval(-1))
	vs := mustApply(t, store, put("a", "a2.db"), tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "b"}, put("c", "c1.db"))
	store.mu.Lock()
	events := store.events
	store.mu.Unlock()
	events(tenantconfig.Event{Tenant: "a", Version: vs[0]})
	events(tenantconfig.Event{Tenant: "b", Version: vs[1], Deleted: true})
	events(tenantconfig.Event{Tenant: "c", Version: vs[2]})
	eventuallyHoldsExactly(t, r, store, "after the announcements")
	read := store.recordsRead.Load()
	resyncAndWait(t, s)
	if got := store.recordsRead.Load() - read; got != 0 {
		t.Fatalf("the resync after announced changes read %d records, want none", got)
	}
}

// TestRefusedRetriedAtResync: a change refused (its database cannot be
// opened) is tried again at the next resync, on a Digester store too.
func TestRefusedRetriedAtResync(t *testing.T) {
	store := newReadCounter()
	base := t.TempDir()
	mustApply(t, store, put("a", filepath.Join(base, "a1.db")))
	r := newResolver(t)
	s := start(t, store, r, tenantsync.WithResyncInterval(-1))
	later := filepath.Join(base, "later", "a2.db")
	mustApply(t, store, put("a", later)) // announcement lost
	resyncAndWait(t, s)
	if st := s.Stats(); st.Refused == 0 || !strings.HasSuffix(state(r)["a"], "a1.db") {
		t.Fatalf("a = %q, stats %+v: want the change refused", state(r)["a"], st)
	}
	if err := os.Mkdir(filepath.Dir(later), 0o755); err != nil {
		t.Fatal(err)
	}
	resyncAndWait(t, s)
	if got := state(r)["a"]; got != "a2.db" {
		t.Fatalf("a = %q after the next resync, want a2.db", got)
	}
}

// logLines keeps the messages logged, with their attributes.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelInfo }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	s := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "store" && a.Key != "error" {
			s += fmt.Sprintf(" %s=%v", a.Key, a.Value)
		}
		return true
	})
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

func (l *logLines) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

func (l *logLines) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	return out
}

// TestOneLogLinePerBatch: the boot and each resync log one summary line
// (added, changed, removed, refused), not one line per tenant; a single
// announced change keeps its line. For both kinds of store.
func TestOneLogLinePerBatch(t *testing.T) {
	for _, kind := range []string{"digest", "snapshot"} {
		t.Run(kind, func(t *testing.T) {
			digesting, store := readCounterStore(kind)
			changes := make([]tenantconfig.Change, 0, 50)
			for i := range 50 {
				changes = append(changes, put(fmt.Sprintf("t%02d", i), fmt.Sprintf("t%02d.db", i)))
			}
			mustApply(t, store, changes...)
			logs := &logLines{}
			logger := slog.New(logs)
			r := newLoggedResolver(t, logger)
			s, err := tenantsync.Start(context.Background(), store, r, tenantsync.WithLogger(logger), tenantsync.WithResyncInterval(-1))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			want := []string{"tenants loaded from the store tenants=50 added=50 changed=0 removed=0 refused=0"}
			if got := logs.take(); !slices.Equal(got, want) {
				t.Fatalf("boot logged:\n%q\nwant:\n%q", got, want)
			}

			// Lost announcements: the resync logs one line.
			mustApply(t, store, put("t01", "t01-new.db"), put("t02", "t02-new.db"), put("new", "new.db"),
				tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "t03"})
			resyncAndWait(t, s)
			want = []string{"tenants resynced from the store tenants=50 added=1 changed=2 removed=1 refused=0"}
			if got := logs.take(); !slices.Equal(got, want) {
				t.Fatalf("resync logged:\n%q\nwant:\n%q", got, want)
			}

			// An announced change keeps the resolver's line.
			vs := mustApply(t, store, put("t04", "t04-new.db"))
			digesting.mu.Lock()
			events := digesting.events
			digesting.mu.Unlock()
			events(tenantconfig.Event{Tenant: "t04", Version: vs[0]})
			eventually(t, time.Second, "t04 changed", func() bool { return state(r)["t04"] == "t04-new.db" })
			// The resolver logs the change after applying it.
			eventually(t, time.Second, "t04's change logged", func() bool { return logs.count() > 0 })
			want = []string{fmt.Sprintf("tenant changed tenant=t04 version=%d", vs[0])}
			if got := logs.take(); !slices.Equal(got, want) {
				t.Fatalf("an announced change logged:\n%q\nwant:\n%q", got, want)
			}
		})
	}
}

// snapshotOnly hides a store's Digester methods: the Syncer reads it
// whole, with Snapshot.
type snapshotOnly struct{ s *scriptedStore }

func (o snapshotOnly) List(ctx context.Context) ([]string, error) { return o.s.List(ctx) }
func (o snapshotOnly) Get(ctx context.Context, id string) (tenantconfig.Record, error) {
	return o.s.Get(ctx, id)
}
func (o snapshotOnly) Snapshot(ctx context.Context) (map[string]tenantconfig.Record, error) {
	return o.s.Snapshot(ctx)
}
func (o snapshotOnly) Apply(ctx context.Context, changes ...tenantconfig.Change) ([]uint64, error) {
	return o.s.Apply(ctx, changes...)
}
func (o snapshotOnly) Watch(ctx context.Context, events func(tenantconfig.Event), resync func()) (func(), error) {
	return o.s.Watch(ctx, events, resync)
}
func (o snapshotOnly) Revision(ctx context.Context) (uint64, error) { return o.s.Revision(ctx) }

var _ tenantconfig.Reviser = snapshotOnly{}
