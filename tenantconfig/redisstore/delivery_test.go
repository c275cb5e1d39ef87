package redisstore_test

import (
	"context"
	"fmt"
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

// TestWatcherNoticesMessagesStopArriving mutes the watcher's connection:
// it still answers PING (as a master demoted by a Sentinel failover does)
// but delivers no message. The watcher must notice that its own probe does
// not come back, subscribe on a new connection, resync, and then receive
// the next announcement.
func TestWatcherNoticesMessagesStopArriving(t *testing.T) {
	t.Run("miniredis", func(t *testing.T) {
		testMessagesStopArriving(t, miniredis.RunT(t).Addr())
	})
	t.Run("redis", func(t *testing.T) {
		opts, err := redis.ParseURL(testenv.RedisURL(t))
		if err != nil {
			t.Fatal(err)
		}
		testMessagesStopArriving(t, opts.Addr)
	})
}

func testMessagesStopArriving(t *testing.T, addr string) {
	ctx := context.Background()
	service := fmt.Sprintf("muted-%d", time.Now().UnixNano())
	px := testenv.NewProxy(t, addr)
	client := redis.NewClient(&redis.Options{Addr: px.Addr(), ContextTimeoutEnabled: true})
	defer client.Close()
	store, err := redisstore.New(client, service, redisstore.WithLogger(fixture.Quiet()),
		redisstore.WithPingInterval(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan tenantconfig.Event, 16)
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
	direct := redis.NewClient(&redis.Options{Addr: addr})
	defer direct.Close()
	writer, err := redisstore.New(direct, service)
	if err != nil {
		t.Fatal(err)
	}
	put := func(id string) uint64 {
		t.Helper()
		vs, err := writer.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: storetest.Config(id)})
		if err != nil {
			t.Fatal(err)
		}
		return vs[0]
	}

	px.Mute()
	put("lost")
	deadline := time.After(5 * time.Second)
	for resyncing := true; resyncing; {
		select {
		case e := <-events:
			t.Fatalf("event %+v through a muted connection", e)
		case <-deadline:
			t.Fatal("the watcher never noticed that announcements stopped arriving")
		case <-resynced:
			resyncing = false
		}
	}
	v := put("next")
	for {
		select {
		case e := <-events:
			if e.Tenant == "next" && e.Version == v {
				return
			}
		case <-deadline:
			t.Fatal("no announcement on the new subscription")
		}
	}
}
