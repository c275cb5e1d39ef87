package tenantsync_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// failingRemover is a Target around a resolver whose Remove fails while
// fail is set (a wrapper whose own clean-up fails, say).
type failingRemover struct {
	wrapper
	fail    atomic.Bool
	removes atomic.Int32
}

func (f *failingRemover) Remove(ctx context.Context, id string) error {
	f.removes.Add(1)
	if f.fail.Load() {
		return errors.New("clean-up failed")
	}
	return f.wrapper.Remove(ctx, id)
}

// TestRedTeam9FailedRemoveIsRetried: a removal the target failed to
// apply was forgotten by the syncer, which went on as if the tenant were
// gone: the target served it until the instance restarted. A failed
// removal must be tried again, as a refused change is, at the next
// resync.
func TestRedTeam9FailedRemoveIsRetried(t *testing.T) {
	store := memstore.New()
	mustApply(t, store, put("a", "a.db"), put("b", "b.db"))
	r := newResolver(t)
	target := &failingRemover{wrapper: wrapper{r}}
	s := start(t, store, target, tenantsync.WithResyncInterval(50*time.Millisecond))
	target.fail.Store(true)
	mustApply(t, store, del("a"))
	eventually(t, 5*time.Second, "the removal tried", func() bool { return target.removes.Load() > 0 })
	target.fail.Store(false)
	eventually(t, 5*time.Second, "the failed removal tried again at a resync", func() bool {
		_, served := state(r)["a"]
		return !served
	})
	if got := s.Stats().Tenants; got != 1 {
		t.Errorf("Stats().Tenants = %d, want 1", got)
	}
	if _, ok := state(r)["b"]; !ok {
		t.Error("b is no longer served")
	}
}
