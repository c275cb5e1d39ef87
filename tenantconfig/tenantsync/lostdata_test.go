package tenantsync_test

import (
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// TestLostDataKeepsTenantsWhileOneIsLoadedAgain: the store lost its
// data; a sign-up writes it again, and the operator loads one tenant
// again, whose version in the new store is below the one applied. The
// tenants not loaded yet stay: the mark the new store's revision must
// pass is the newest version applied before the loss, which the tenant
// loaded again does not lower.
func TestLostDataKeepsTenantsWhileOneIsLoadedAgain(t *testing.T) {
	s := newRT5Store(t)
	mustApply(t, s.store, put("a", "a1.db"), put("b", "b1.db"), put("c", "c1.db"))
	mustApply(t, s.store, put("c", "c2.db"))
	mustApply(t, s.store, put("c", "c3.db")) // versions: a 1, b 2, c 5
	r := newResolver(t)
	sy := start(t, s.store, r, tenantsync.WithResyncInterval(-1))
	s.flush(t)
	mustApply(t, s.store, put("new", "new.db")) // revision 1
	mustApply(t, s.store, put("c", "c3.db"))    // revision 2: c loaded again
	eventually(t, 5*time.Second, "the sign-up served", func() bool { return r.Has("new") })
	resyncDone(t, sy)
	resyncDone(t, sy)
	for _, id := range []string{"a", "b", "c", "new"} {
		if !r.Has(id) {
			t.Errorf("tenant %q removed while the store, written again, is at revision 2 of 5: serving %v, stats %+v",
				id, r.Tenants(), sy.Stats())
		}
	}
}
