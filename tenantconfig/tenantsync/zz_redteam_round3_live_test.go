package tenantsync_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// laggingStore is a store read whole (no digest) whose Get answers
// once, per tenant, with a record set by lag: a read served by a replica
// that has not caught up yet.
type laggingStore struct {
	s     *scriptedStore
	mu    sync.Mutex
	stale map[string]tenantconfig.Record
}

func (l *laggingStore) lag(id string, rec tenantconfig.Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stale == nil {
		l.stale = map[string]tenantconfig.Record{}
	}
	l.stale[id] = rec
}

func (l *laggingStore) List(ctx context.Context) ([]string, error) { return l.s.List(ctx) }
func (l *laggingStore) Get(ctx context.Context, id string) (tenantconfig.Record, error) {
	l.mu.Lock()
	rec, ok := l.stale[id]
	delete(l.stale, id)
	l.mu.Unlock()
	if ok {
		return rec, nil
	}
	return l.s.Get(ctx, id)
}
func (l *laggingStore) Snapshot(ctx context.Context) (map[string]tenantconfig.Record, error) {
	return l.s.Snapshot(ctx)
}
func (l *laggingStore) Apply(ctx context.Context, changes ...tenantconfig.Change) ([]uint64, error) {
	return l.s.Apply(ctx, changes...)
}
func (l *laggingStore) Watch(ctx context.Context, events func(tenantconfig.Event), resync func()) (func(), error) {
	return l.s.Watch(ctx, events, resync)
}
func (l *laggingStore) Revision(ctx context.Context) (uint64, error) { return l.s.Revision(ctx) }

// laggingDigester is laggingStore read by digest (a Digester): its
// Records answers once, per tenant, with the lagging record.
type laggingDigester struct{ *laggingStore }

func (l laggingDigester) Digest(ctx context.Context) (tenantconfig.Digest, error) {
	return l.s.Digest(ctx)
}

func (l laggingDigester) ScanSums(ctx context.Context, fn func(map[string]tenantconfig.Sum) error) error {
	return l.s.ScanSums(ctx, fn)
}

func (l laggingDigester) Records(ctx context.Context, ids []string) (map[string]tenantconfig.SummedRecord, error) {
	recs, err := l.s.Records(ctx, ids)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		if rec, ok := l.stale[id]; ok {
			delete(l.stale, id)
			sr := recs[id]
			sr.Record = rec
			recs[id] = sr
		}
	}
	return recs, err
}

var _ tenantconfig.Digester = laggingDigester{}

// setRecorder is the resolver, recording the database of every Set.
type setRecorder struct {
	*resolver.Resolver
	mu   sync.Mutex
	sets []string
}

func (r *setRecorder) Set(ctx context.Context, id string, db tenantconfig.Database) error {
	r.mu.Lock()
	r.sets = append(r.sets, id+"="+filepath.Base(db.Name))
	r.mu.Unlock()
	return r.Resolver.Set(ctx, id, db)
}

func (r *setRecorder) taken() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sets...)
}

// TestRedteam3StaleReadAfterNewerAnnouncement: the store announces
// version 3 of a tenant whose version 2 is applied, and the read that
// follows returns version 1 (a lagging replica). The announcement proves
// the record read is older than what was announced, and it is older
// than what is applied: the Syncer must not set the tenant back to
// version 1's database, not even until the resync that follows.
func TestRedteam3StaleReadAfterNewerAnnouncement(t *testing.T) {
	for _, kind := range []string{"snapshot", "digest"} {
		t.Run(kind, func(t *testing.T) { staleReadAfterNewerAnnouncement(t, kind) })
	}
}

func staleReadAfterNewerAnnouncement(t *testing.T, kind string) {
	ctx := context.Background()
	inner := &scriptedStore{Store: memstore.New()}
	lagging := &laggingStore{s: inner}
	var store interface {
		tenantconfig.Store
		tenantconfig.Watcher
	} = lagging
	if kind == "digest" {
		store = laggingDigester{lagging}
	}
	mustApply(t, store, put("a", "a1.db"))
	old, err := inner.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	r := &setRecorder{Resolver: newResolver(t)}
	start(t, store, r, tenantsync.WithResyncInterval(time.Hour))
	v2 := mustApply(t, store, put("a", "a2.db"))
	inner.events(tenantconfig.Event{Tenant: "a", Version: v2[0]})
	eventually(t, time.Second, "version 2 applied", func() bool { return state(r.Resolver)["a"] == "a2.db" })

	v3 := mustApply(t, store, put("a", "a3.db"))
	lagging.lag("a", old)
	inner.events(tenantconfig.Event{Tenant: "a", Version: v3[0]})
	eventually(t, 2*time.Second, "version 3 applied", func() bool { return state(r.Resolver)["a"] == "a3.db" })
	sets := r.taken()
	for i, s := range sets {
		if s == "a=a1.db" && i > 0 {
			t.Errorf("tenant a was set back to version 1's database after version 2 was applied; Sets: %v", sets)
		}
	}
}
