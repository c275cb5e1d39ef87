package redisstore_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/storetest"
)

// TestHalfOpenConnectionIsReplaced freezes the watcher's connection: its
// pings go unanswered, it subscribes on a new connection, and the resync
// that follows brings the change made meanwhile.
func TestHalfOpenConnectionIsReplaced(t *testing.T) {
	mr := miniredis.RunT(t)
	px := testenv.NewProxy(t, mr.Addr())
	client := redis.NewClient(&redis.Options{Addr: px.Addr(), ReadTimeout: -1, ContextTimeoutEnabled: true})
	defer client.Close()
	store, err := redisstore.New(client, "hospital", redisstore.WithLogger(fixture.Quiet()),
		redisstore.WithPingInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var resyncs atomic.Int32
	stop, err := store.Watch(context.Background(), func(tenantconfig.Event) {}, func() { resyncs.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	px.Freeze()
	direct := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer direct.Close()
	other, _ := redisstore.New(direct, "hospital")
	if _, err := other.Apply(context.Background(), tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "a", Config: storetest.Config("a")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for resyncs.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the watcher never noticed its connection stopped answering")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
