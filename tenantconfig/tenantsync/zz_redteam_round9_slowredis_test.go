package tenantsync_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// TestRedTeam9FrozenRedisConnectionDoesNotStallSyncer: a client that
// bounds its operations by their contexts (ContextTimeoutEnabled, no
// read timeout of its own) and a Redis connection that stops answering
// (half-open). The syncer's reads of the store must fail within a bound
// and be retried on a new connection: the change made meanwhile arrives,
// and Close returns.
func TestRedTeam9FrozenRedisConnectionDoesNotStallSyncer(t *testing.T) {
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	fz := testenv.NewProxy(t, opts.Addr)
	service := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
	pOpts := *opts
	pOpts.Addr = fz.Addr()
	pOpts.ReadTimeout, pOpts.WriteTimeout, pOpts.ContextTimeoutEnabled = -1, -1, true
	client := redis.NewClient(&pOpts)
	defer client.Close()
	store, err := redisstore.New(client, service, redisstore.WithLogger(fixture.Quiet()),
		redisstore.WithPingInterval(-1), redisstore.WithTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	direct := redis.NewClient(opts)
	defer direct.Close()
	writer, err := redisstore.New(direct, service, redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, writer, put("a", "r9frozen-a1.db"))
	r := newResolver(t)
	s, err := tenantsync.Start(context.Background(), store, r, tenantsync.WithLogger(fixture.Quiet()),
		tenantsync.WithResyncInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	defer func() {
		go func() { _ = s.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			fz.Close() // unblock it, then fail
			<-closed
			t.Error("Close still waited 10 s after it was called, on a frozen Redis connection")
		}
	}()

	fz.Freeze()
	mustApply(t, writer, put("a", "r9frozen-a2.db"))
	s.Resync()
	deadline := time.Now().Add(15 * time.Second)
	for !reflect.DeepEqual(state(r), map[string]string{"a": "r9frozen-a2.db"}) {
		if time.Now().After(deadline) {
			t.Errorf("after 15 s the change made while a Redis connection froze is not applied: %v", state(r))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
