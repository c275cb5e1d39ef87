package tenantsync_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// gateTarget makes each Set say it was entered, then wait for a token
// from gate.
type gateTarget struct {
	spyTarget
	entered, gate chan struct{}
}

func (t *gateTarget) Set(ctx context.Context, id string, db tenantconfig.Database) error {
	t.entered <- struct{}{}
	<-t.gate
	return t.spyTarget.Set(ctx, id, db)
}

// TestEventLag: the lag reported for an announcement runs from its
// arrival to the end of its change's application: a target that takes
// 50 ms to apply shows at least 50 ms. Two announcements of one tenant
// waiting together are one change, measured from the first's arrival;
// a refused change reports no lag.
func TestEventLag(t *testing.T) {
	store := &scriptedStore{Store: memstore.New()}
	mustApply(t, store, put("a", "a1.db"))
	target := &gateTarget{entered: make(chan struct{}, 100), gate: make(chan struct{}, 1)}
	target.gate <- struct{}{} // the first snapshot's Set
	lags := make(chan time.Duration, 10)
	s := start(t, store, target, tenantsync.WithEventLag(func(d time.Duration) { lags <- d }))
	t.Cleanup(func() { close(target.gate) }) // before Close, which waits for a Set held here

	mustApply(t, store, put("a", "a2.db"))
	v := mustApply(t, store, put("a", "a3.db"))
	t0 := time.Now()
	store.events(tenantconfig.Event{Tenant: "a", Version: v[0] - 1})
	store.events(tenantconfig.Event{Tenant: "a", Version: v[0]})
	time.Sleep(50 * time.Millisecond) // the target's work, as the Syncer sees it
	target.gate <- struct{}{}
	lag := <-lags
	if elapsed := time.Since(t0); lag < 50*time.Millisecond || lag > elapsed {
		t.Fatalf("lag %v, want between 50ms and the %v since the first announcement", lag, elapsed)
	}
	if got := target.changes.Load(); got != 2 {
		t.Fatalf("%d Set calls, want 2 (the snapshot's, then one for both announcements)", got)
	}
	// The second announcement was folded into the first, or handled
	// after it, having waited for it: its lag runs from its own arrival,
	// after t0, to its handling, so it is within the time since t0.
	select {
	case d := <-lags:
		if elapsed := time.Since(t0); d > elapsed {
			t.Fatalf("second lag %v, more than the %v since before it arrived", d, elapsed)
		}
	case <-time.After(20 * time.Millisecond):
	}

	// A refused change (no database for the service) reports no lag:
	// the next lag reported is the next good change's.
	v = mustApply(t, store, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "a", Config: tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{}}})
	store.events(tenantconfig.Event{Tenant: "a", Version: v[0]})
	eventually(t, time.Second, "change refused", func() bool { return s.Stats().Refused == 1 })
	v = mustApply(t, store, put("a", "a4.db"))
	for len(target.entered) > 0 { // the Sets so far
		<-target.entered
	}
	store.events(tenantconfig.Event{Tenant: "a", Version: v[0]})
	<-target.entered // the good change is being applied: the refused one is done
	select {
	case d := <-lags:
		t.Fatalf("a refused change reported a lag of %v", d)
	default:
	}
	target.gate <- struct{}{}
	if d := <-lags; d <= 0 {
		t.Fatalf("lag %v", d)
	}

	// A removal is a change too.
	v = mustApply(t, store, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "a"})
	store.events(tenantconfig.Event{Tenant: "a", Version: v[0], Deleted: true})
	if d := <-lags; d <= 0 || s.Stats().Tenants != 0 {
		t.Fatalf("lag %v, stats %+v", d, s.Stats())
	}
}

// TestWithEventLagRefusesNil: a nil function is refused, naming the
// option.
func TestWithEventLagRefusesNil(t *testing.T) {
	_, err := tenantsync.Start(context.Background(), memstore.New(), &spyTarget{}, tenantsync.WithAllowEmpty(), tenantsync.WithEventLag(nil))
	if err == nil || err.Error() != "tenantsync: WithEventLag(nil): nil function" {
		t.Fatalf("err = %v", err)
	}
}

// logRecords keeps the records a logger receives.
type logRecords struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.recs = append(l.recs, r.Clone())
	l.mu.Unlock()
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }

// find returns the attributes of the records with message msg.
func (l *logRecords) find(msg string) []map[string]slog.Value {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]slog.Value
	for _, r := range l.recs {
		if r.Message != msg {
			continue
		}
		m := map[string]slog.Value{"level": slog.StringValue(r.Level.String())}
		r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value; return true })
		out = append(out, m)
	}
	return out
}

// TestResyncIsLogged: the boot, then each resync, logs one line of what
// it added, changed, removed and refused: the boot and a resync that
// changed something at Info, one that did not at Debug.
func TestResyncIsLogged(t *testing.T) {
	store := &scriptedStore{Store: memstore.New()}
	mustApply(t, store, put("a", "a.db"), put("b", "b.db"))
	logs := &logRecords{}
	s, err := tenantsync.Start(context.Background(), store, &spyTarget{}, tenantsync.WithName("store X"), tenantsync.WithLogger(slog.New(logs)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	// An unannounced removal, repaired by the next resync; then a resync
	// with nothing to do.
	mustApply(t, store, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "b"})
	s.Resync()
	eventually(t, time.Second, "resync applied", func() bool { return s.Stats().Resyncs == 2 })
	s.Resync()
	eventually(t, time.Second, "resync applied", func() bool { return s.Stats().Resyncs == 3 })
	_ = s.Close()

	got := append(logs.find("tenants loaded from the store"), logs.find("tenants resynced from the store")...)
	want := []map[string]string{
		{"level": "INFO", "store": "store X", "tenants": "2", "added": "2", "changed": "0", "removed": "0", "refused": "0"},
		{"level": "INFO", "store": "store X", "tenants": "1", "added": "0", "changed": "0", "removed": "1", "refused": "0"},
		{"level": "DEBUG", "store": "store X", "tenants": "1", "added": "0", "changed": "0", "removed": "0", "refused": "0"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d resync records, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		for k, v := range w {
			if got[i][k].String() != v {
				t.Errorf("record %d: %s = %v, want %s (%v)", i, k, got[i][k], v, got[i])
			}
		}
	}
}
