package tenantsync_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// TestRedTeam9FlushAfterRemovalsKeepsTenants: the store's last writes
// before it lost its data were removals, so its revision (6) is above
// every version of the tenants served (a 1, b 2). After the loss, two
// sign-ups bring the new store to revision 2: still below the revision
// this instance saw from the store it lost, so it lost data, and the
// tenants it lacks stay.
func TestRedTeam9FlushAfterRemovalsKeepsTenants(t *testing.T) {
	s := newRT5Store(t)
	del := func(id string) tenantconfig.Change {
		return tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: id}
	}
	mustApply(t, s.store, put("a", "r9ld-a1.db"), put("b", "r9ld-b1.db"), put("c", "r9ld-c1.db"), put("d", "r9ld-d1.db"))
	mustApply(t, s.store, del("d"))
	mustApply(t, s.store, del("c")) // revision 6; served: a 1, b 2
	r := newResolver(t)
	sy := start(t, s.store, r, tenantsync.WithResyncInterval(-1))
	s.flush(t)
	resyncDone(t, sy)
	mustApply(t, s.store, put("new1", "r9ld-new1.db")) // revision 1
	mustApply(t, s.store, put("new2", "r9ld-new2.db")) // revision 2
	eventually(t, 5*time.Second, "the sign-ups served", func() bool { return r.Has("new1") && r.Has("new2") })
	resyncDone(t, sy)
	for _, id := range []string{"a", "b"} {
		if !r.Has(id) {
			t.Errorf("tenant %q removed by a store that lost its data, written again to revision 2 of 6: serving %v, stats %+v",
				id, r.Tenants(), sy.Stats())
		}
	}
}

// TestRedTeam9FlushAfterAnnouncedRemovalsKeepsTenants: as above, but
// the removals reach the instance by announcement after its last resync,
// and the store loses its data before the next one.
func TestRedTeam9FlushAfterAnnouncedRemovalsKeepsTenants(t *testing.T) {
	s := newRT5Store(t)
	del := func(id string) tenantconfig.Change {
		return tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: id}
	}
	mustApply(t, s.store, put("a", "r9lda-a1.db"), put("b", "r9lda-b1.db"), put("c", "r9lda-c1.db"), put("d", "r9lda-d1.db"))
	r := newResolver(t)
	sy := start(t, s.store, r, tenantsync.WithResyncInterval(-1))
	mustApply(t, s.store, del("d"))
	mustApply(t, s.store, del("c")) // revision 6; served: a 1, b 2
	eventually(t, 5*time.Second, "the removals applied", func() bool { return !r.Has("c") && !r.Has("d") })
	s.flush(t)
	resyncDone(t, sy)
	for _, id := range []string{"new1", "new2", "new3", "new4"} { // revisions 1 to 4
		mustApply(t, s.store, put(id, "r9lda-"+id+".db"))
	}
	eventually(t, 5*time.Second, "the sign-ups served", func() bool { return r.Has("new4") })
	resyncDone(t, sy)
	for _, id := range []string{"a", "b"} {
		if !r.Has(id) {
			t.Errorf("tenant %q removed by a store that lost its data, written again to revision 4 of 6: serving %v, stats %+v",
				id, r.Tenants(), sy.Stats())
		}
	}
}

// TestRedTeam9PanickingHookLeavesNothing: a hook (the application's
// bootstrap code) panics, and the caller of Start recovers (a framework
// that turns panics into errors). As when a hook fails, the tenants the
// boot set are removed and the watch is stopped: nothing keeps running
// that nobody can stop.
func TestRedTeam9PanickingHookLeavesNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	store := memstore.New()
	mustApply(t, store, put("a", "r9hook-a.db"))
	r := newResolver(t)
	defer r.Close() // before the goroutines are counted
	func() {
		defer func() {
			if p := recover(); p == nil {
				t.Error("the hook's panic did not reach the caller of Start")
			}
		}()
		sy, err := tenantsync.Start(context.Background(), store, r, tenantsync.WithLogger(fixture.Quiet()),
			tenantsync.WithHooks(func(context.Context) error { panic("bootstrap bug") }))
		if err == nil {
			_ = sy.Close()
		}
	}()
	if got := r.Tenants(); len(got) != 0 {
		t.Errorf("a hook panicked and Start left tenants %v on the resolver, followed by nobody", got)
	}
}
