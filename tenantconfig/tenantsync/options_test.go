package tenantsync_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// spyStore counts the reads and watches of a store.
type spyStore struct {
	*memstore.Store
	reads atomic.Int32
}

func (s *spyStore) Snapshot(ctx context.Context) (map[string]tenantconfig.Record, error) {
	s.reads.Add(1)
	return s.Store.Snapshot(ctx)
}

func (s *spyStore) Watch(ctx context.Context, events func(tenantconfig.Event), resync func()) (func(), error) {
	s.reads.Add(1)
	return s.Store.Watch(ctx, events, resync)
}

// spyTarget counts the changes made to it.
type spyTarget struct{ changes atomic.Int32 }

func (t *spyTarget) Set(context.Context, string, tenantconfig.Database) error {
	t.changes.Add(1)
	return nil
}

func (t *spyTarget) Remove(context.Context, string) error {
	t.changes.Add(1)
	return nil
}

// TestBadOptionChangesNothing: Start and Load refuse a bad option with an
// error that names it, before reading the store or changing the target.
func TestBadOptionChangesNothing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		opt  tenantsync.Option
		want string
	}{
		{"negative resync interval", tenantsync.WithResyncInterval(-2 * time.Second), "tenantsync: WithResyncInterval(-2s): negative interval"},
		{"negative apply timeout", tenantsync.WithApplyTimeout(-2), "tenantsync: WithApplyTimeout(-2ns): negative timeout"},
		{"empty ORM", tenantsync.WithDatabase("", tenantconfig.DefaultAlias), `tenantsync: WithDatabase("", "default"): empty ORM or alias`},
		{"empty alias", tenantsync.WithDatabase(tenantconfig.GORM, ""), `tenantsync: WithDatabase("gorm", ""): empty ORM or alias`},
		{"empty name", tenantsync.WithName(""), `tenantsync: WithName(""): empty name`},
		{"nil logger", tenantsync.WithLogger(nil), "tenantsync: WithLogger(nil): nil logger"},
		{"nil hook", tenantsync.WithHooks(func(context.Context) error { return nil }, nil), "tenantsync: WithHooks: hook 1 is nil"},
		{"nil option", nil, "tenantsync: option 1 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &spyStore{Store: memstore.New()}
			mustApply(t, store, put("a", "a.db"))
			target := &spyTarget{}
			// A good option first: the error names the bad one.
			opts := []tenantsync.Option{tenantsync.WithAllowEmpty(), tt.opt}

			s, err := tenantsync.Start(ctx, store, target, opts...)
			if err == nil {
				_ = s.Close()
				t.Fatal("Start accepted a bad option")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start: %v, want it to contain %q", err, tt.want)
			}
			if err := tenantsync.Load(ctx, store, target, opts...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load: %v, want it to contain %q", err, tt.want)
			}
			if n, m := store.reads.Load(), target.changes.Load(); n != 0 || m != 0 {
				t.Fatalf("after a bad option: %d reads of the store, %d changes to the target; want none", n, m)
			}
		})
	}
}

// TestLoadRefusesHooks: Load would not run hooks, so it refuses them
// rather than drop them.
func TestLoadRefusesHooks(t *testing.T) {
	store := &spyStore{Store: memstore.New()}
	mustApply(t, store, put("a", "a.db"))
	target := &spyTarget{}
	err := tenantsync.Load(context.Background(), store, target, tenantsync.WithHooks(func(context.Context) error { return nil }))
	if err == nil || !strings.Contains(err.Error(), "tenantsync: WithHooks") {
		t.Fatalf("Load with hooks: %v", err)
	}
	if n, m := store.reads.Load(), target.changes.Load(); n != 0 || m != 0 {
		t.Fatalf("%d reads of the store, %d changes to the target; want none", n, m)
	}
}

// TestResyncInterval: a short interval repairs a lost announcement with
// no other signal; -1 (no periodic resync) and 0 (the default) are
// accepted.
func TestResyncInterval(t *testing.T) {
	store := &scriptedStore{Store: memstore.New()}
	mustApply(t, store, put("a", "a1.db"))
	r := newResolver(t)
	start(t, store, r, tenantsync.WithResyncInterval(5*time.Millisecond))
	mustApply(t, store, put("b", "b1.db")) // announcement lost
	eventually(t, time.Second, "the periodic resync applied b", func() bool { return r.Has("b") })

	for _, d := range []time.Duration{-1, 0} {
		s := start(t, store, newResolver(t), tenantsync.WithResyncInterval(d))
		if err := s.Close(); err != nil {
			t.Fatalf("WithResyncInterval(%v): Close: %v", d, err)
		}
	}
}

// TestCloseTwice: a second Close returns nil.
func TestCloseTwice(t *testing.T) {
	s := start(t, memstore.New(), newResolver(t), tenantsync.WithAllowEmpty())
	for i := range 2 {
		if err := s.Close(); err != nil {
			t.Fatalf("Close %d: %v", i+1, err)
		}
	}
}
