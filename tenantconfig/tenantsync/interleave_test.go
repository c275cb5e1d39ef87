package tenantsync_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// scanHook is a memstore whose ScanSums calls between before each chunk
// after the first, while armed, and whose Watch calls delivered after
// each announcement was handed to the watcher.
type scanHook struct {
	*memstore.Store
	armed     atomic.Bool
	between   func()
	delivered func(tenantconfig.Event)
}

func (h *scanHook) ScanSums(ctx context.Context, fn func(map[string]tenantconfig.Sum) error) error {
	first := true
	return h.Store.ScanSums(ctx, func(chunk map[string]tenantconfig.Sum) error {
		if !first && h.armed.Load() {
			h.between()
		}
		first = false
		return fn(chunk)
	})
}

func (h *scanHook) Watch(ctx context.Context, events func(tenantconfig.Event), resync func()) (func(), error) {
	return h.Store.Watch(ctx, func(e tenantconfig.Event) {
		events(e)
		h.delivered(e)
	}, resync)
}

// TestAnnouncementAppliedDuringFullCheck: an announcement that arrives
// while a resync reads every record (the periodic full check, 1.4 s for
// 100,000 tenants in Redis) is applied between the resync's chunks, not
// once the whole resync is done.
func TestAnnouncementAppliedDuringFullCheck(t *testing.T) {
	announced, applied := make(chan struct{}), make(chan struct{})
	store := &scanHook{Store: memstore.New(), delivered: func(e tenantconfig.Event) {
		if e.Tenant == "late" {
			close(announced)
		}
	}}
	const n = 2500 // three chunks
	changes := make([]tenantconfig.Change, 0, n)
	for i := range n {
		changes = append(changes, put(fmt.Sprintf("t%04d", i), fmt.Sprintf("t%04d.db", i)))
	}
	mustApply(t, store, changes...)
	r := newResolver(t)
	sy := start(t, store, r, tenantsync.WithResyncInterval(-1), tenantsync.WithFullCheckInterval(-1),
		tenantsync.WithEventLag(func(time.Duration) { close(applied) }))
	var chunks int
	var during bool
	store.between = func() { // on the Syncer's goroutine, in the resync
		chunks++
		switch chunks {
		case 1: // before the second chunk
			mustApply(t, store.Store, put("late", "late.db"))
			<-announced
		case 2: // before the third
			select {
			case <-applied:
				during = true
			default:
			}
		}
	}
	store.armed.Store(true)
	resyncWith(t, sy, sy.ResyncFull)
	if chunks != 2 {
		t.Fatalf("the full check scanned %d chunks, want 3", chunks+1)
	}
	if !during {
		t.Fatal("an announcement that arrived during the full check was not applied before its next chunk: it waits for the whole check")
	}
	eventually(t, 5*time.Second, "late served", func() bool { return r.Has("late") })
}
