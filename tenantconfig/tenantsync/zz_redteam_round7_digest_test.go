package tenantsync_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// inflatedDigest is a Digester store whose Digest claims far more tenants
// than it holds: a buggy third-party Digester, or a Redis store whose
// versions hash was padded (Digest.Tenants is its HLEN).
type inflatedDigest struct{ *memstore.Store }

func (s inflatedDigest) Digest(ctx context.Context) (tenantconfig.Digest, error) {
	d, err := s.Store.Digest(ctx)
	d.Tenants = 1 << 40
	return d, err
}

// TestRound7ForgedDigestTenantsPresize: the syncer's boot pre-sizes its maps
// from Digest.Tenants, bounded only at 1<<20 tenants. A store holding
// one tenant whose digest claims a huge count makes the syncer allocate
// (and keep for its whole life: Go maps never shrink) on the order of
// 150 MB. The pre-size should not trust the count that far (or should
// be bounded by what the scan actually finds).
func TestRound7ForgedDigestTenantsPresize(t *testing.T) {
	store := inflatedDigest{memstore.New()}
	mustApply(t, store, put("a", "a.db"))
	r := newResolver(t)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sy := start(t, store, r, tenantsync.WithResyncInterval(-1))
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(sy)
	const limit = 32 << 20
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > limit {
		t.Errorf("booting on a store of 1 tenant whose digest claims %d kept %d MB live (limit %d MB)",
			int64(1<<40), grew>>20, limit>>20)
	}
}
