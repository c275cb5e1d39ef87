package tenantsync_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// midScanLoss is the Redis store whose data is lost (as by a restart
// without persistence, or FLUSHALL) once, when armed: between the first
// chunk of a scan of its Sums and the next.
type midScanLoss struct {
	*redisstore.Store
	t     *testing.T
	s     *rt5Store
	mu    sync.Mutex
	armed bool
}

func (m *midScanLoss) ScanSums(ctx context.Context, fn func(map[string]tenantconfig.Sum) error) error {
	return m.Store.ScanSums(ctx, func(chunk map[string]tenantconfig.Sum) error {
		if err := fn(chunk); err != nil {
			return err
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.armed {
			m.armed = false
			m.s.flush(m.t)
		}
		return nil
	})
}

// midScanTenants is how many tenants the store holds: several chunks of
// a scan.
const midScanTenants = 2500

// fillStore writes midScanTenants tenants, t0000 on, each on a database
// file named after prefix.
func fillStore(t *testing.T, s *rt5Store, prefix string) {
	t.Helper()
	changes := make([]tenantconfig.Change, 0, midScanTenants)
	for i := range midScanTenants {
		changes = append(changes, put(fmt.Sprintf("t%04d", i), fmt.Sprintf("%s-t%04d.db", prefix, i)))
	}
	mustApply(t, s.store, changes...)
}

// TestRedTeam9StoreLostDuringResyncKeepsTenants: the store loses its data
// while a resync scans it. The tenants the scan had not reached yet are
// not in the store when the resync reads them: a store that went back
// meanwhile must not be taken for one whose tenants were removed.
func TestRedTeam9StoreLostDuringResyncKeepsTenants(t *testing.T) {
	s := newRT5Store(t)
	fillStore(t, s, "r9scan")
	store := &midScanLoss{Store: s.store, t: t, s: s}
	r := newResolver(t)
	sy := start(t, store, r, tenantsync.WithResyncInterval(-1))
	if got := len(r.Tenants()); got != midScanTenants {
		t.Fatalf("booted with %d tenants, want %d", got, midScanTenants)
	}
	store.mu.Lock()
	store.armed = true
	store.mu.Unlock()
	resyncWith(t, sy, sy.ResyncFull)
	resyncDone(t, sy) // the store, empty now, is seen as such
	if got := len(r.Tenants()); got != midScanTenants {
		t.Errorf("the store lost its data during a resync: %d of %d tenants removed; stats %+v", midScanTenants-got, midScanTenants, sy.Stats())
	}
}

// TestRedTeam9AnnouncedChangeReadAfterLossKeepsTenant: a change of tenant
// a is announced (version 3), and the store loses its data before the
// syncer reads the record (Redis restarted without persistence right
// after the write). The record is absent, but the store is at a revision
// below the announcement: it went back, and a was not removed.
func TestRedTeam9AnnouncedChangeReadAfterLossKeepsTenant(t *testing.T) {
	ctx := context.Background()
	s := newRT5Store(t)
	mustApply(t, s.store, put("a", "r9ann-a1.db"), put("b", "r9ann-b1.db")) // versions 1, 2
	r := newResolver(t)
	sy := start(t, s.store, r, tenantsync.WithResyncInterval(-1))
	s.flush(t)
	// The announcement of the write the store lost.
	if err := s.client.Publish(ctx, s.channel, `{"t":"a","v":3}`).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the announcement read", func() bool {
		st := sy.Stats()
		return st.Stale+st.StaleReads+st.Applied > 2 || !r.Has("a")
	})
	resyncDone(t, sy)
	if !r.Has("a") {
		t.Errorf("tenant a removed: its announced change was read from a store that had lost its data; stats %+v", sy.Stats())
	}
}

// TestRedTeam9StoreLostDuringBootFailsStart: the store loses its data
// while Start reads it. An instance serves all of the store's tenants or
// none: Start must not return serving the part it read before the loss.
func TestRedTeam9StoreLostDuringBootFailsStart(t *testing.T) {
	s := newRT5Store(t)
	fillStore(t, s, "r9boot")
	store := &midScanLoss{Store: s.store, t: t, s: s, armed: true}
	r := newResolver(t)
	sy, err := tenantsync.Start(context.Background(), store, r, tenantsync.WithLogger(fixture.Quiet()), tenantsync.WithResyncInterval(-1))
	if err == nil {
		_ = sy.Close()
		t.Fatalf("Start succeeded serving %d of the %d tenants the store held when it began", len(r.Tenants()), midScanTenants)
	}
	if got := len(r.Tenants()); got != 0 {
		t.Errorf("Start failed (%v) and left %d tenants on the resolver", err, got)
	}
}

// TestRedTeam9StoreLostDuringLoadFails: the store loses its data while
// Load reads it. Load (a migration of every tenant, a report) must not
// report success having set only the tenants read before the loss.
func TestRedTeam9StoreLostDuringLoadFails(t *testing.T) {
	s := newRT5Store(t)
	fillStore(t, s, "r9load")
	store := &midScanLoss{Store: s.store, t: t, s: s, armed: true}
	r := newResolver(t)
	err := tenantsync.Load(context.Background(), store, r, tenantsync.WithLogger(fixture.Quiet()))
	if err == nil {
		t.Errorf("Load succeeded having set %d of the %d tenants the store held when it began", len(r.Tenants()), midScanTenants)
	}
}
