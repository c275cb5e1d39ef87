package redisstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/storetest"
)

// TestClusterSlotOwnerMoved: the node owning the store's slot dies and
// another takes the slot over, as after a Cluster failover. The client
// learns the new owner only when it reloads its slot map, which by
// itself it does every ClusterStateReloadInterval (60 s here, the
// default): writes and the watcher must be back well before that.
func TestClusterSlotOwnerMoved(t *testing.T) {
	ctx := context.Background()
	old := miniredis.RunT(t)
	successor := miniredis.RunT(t)
	var owner sync.Mutex
	ownerAddr := old.Addr()
	cc := redis.NewClusterClient(&redis.ClusterOptions{
		ClusterSlots: func(context.Context) ([]redis.ClusterSlot, error) {
			owner.Lock()
			defer owner.Unlock()
			return []redis.ClusterSlot{{Start: 0, End: 16383, Nodes: []redis.ClusterNode{{Addr: ownerAddr}}}}, nil
		},
		ClusterStateReloadInterval: time.Minute,
		MaxRetryBackoff:            10 * time.Millisecond,
	})
	defer cc.Close()
	store, err := redisstore.New(cc, "moved", redisstore.WithLogger(fixture.Quiet()),
		redisstore.WithPingInterval(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan tenantconfig.Event, 64)
	resynced := make(chan struct{}, 1)
	stop, err := store.Watch(ctx, func(e tenantconfig.Event) { events <- e }, func() {
		select {
		case resynced <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	put := func(id string) ([]uint64, error) {
		return store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: storetest.Config(id)})
	}
	if _, err := put("before"); err != nil {
		t.Fatal(err)
	}

	select { // a resync before the move says nothing
	case <-resynced:
	default:
	}
	owner.Lock()
	ownerAddr = successor.Addr()
	owner.Unlock()
	old.Close()

	start := time.Now()
	deadline := start.Add(10 * time.Second)
	for {
		if _, err = put("after"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes still fail %v after the slot moved: %v", time.Since(start), err)
		}
		time.Sleep(20 * time.Millisecond) // retrying a write, as a caller does
	}
	if !successor.Exists("{" + redisstore.DefaultPrefix + ":moved}:configs") {
		t.Fatal("the write did not reach the new owner")
	}
	// The watcher resubscribes on the new owner (announcements made
	// meanwhile are lost: the resync covers them), then receives the next
	// announcement.
	select {
	case <-resynced:
	case <-time.After(time.Until(deadline)):
		t.Fatal("the watcher never resubscribed after the slot moved")
	}
	vs, err := put("later")
	if err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case e := <-events:
			if e.Tenant == "later" && e.Version == vs[0] {
				return
			}
		case <-time.After(time.Until(deadline)):
			t.Fatal("the watcher never received the new owner's announcement")
		}
	}
}
