package redisstore_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/storetest"
)

// TestReadsAndWatchUseTheMaster gives the store a cluster client that
// reads from replicas, whose one replica never receives anything (a
// replica that lags without bound). Every read must still give the
// master's answer, and the watcher must receive the master's
// announcements.
func TestReadsAndWatchUseTheMaster(t *testing.T) {
	ctx := context.Background()
	master, replica := miniredis.RunT(t), miniredis.RunT(t)
	// ReadOnly with one replica sends every read-only command to it
	// (RouteRandomly and RouteByLatency may pick the master by chance).
	service := "replicas"
	opts := redis.ClusterOptions{ReadOnly: true}
	opts.ClusterSlots = func(context.Context) ([]redis.ClusterSlot, error) {
		return []redis.ClusterSlot{{Start: 0, End: 16383, Nodes: []redis.ClusterNode{
			{Addr: master.Addr()}, {Addr: replica.Addr()},
		}}}, nil
	}
	ro := redis.NewClusterClient(&opts)
	defer ro.Close()
	reader, err := redisstore.New(ro, service, redisstore.WithLogger(fixture.Quiet()),
		redisstore.WithPingInterval(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	direct := redis.NewClient(&redis.Options{Addr: master.Addr()})
	defer direct.Close()
	writer, err := redisstore.New(direct, service)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan tenantconfig.Event, 16)
	stop, err := reader.Watch(ctx, func(e tenantconfig.Event) { events <- e }, func() {})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	vs, err := writer.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "a", Config: storetest.Config("a")})
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.SetMapping(ctx, map[string]string{"host": "a"}); err != nil {
		t.Fatal(err)
	}

	if ids, err := reader.List(ctx); err != nil || !slices.Equal(ids, []string{"a"}) {
		t.Errorf("List = %v, %v; want [a] from the master", ids, err)
	}
	if m, err := reader.Mapping(ctx); err != nil || !reflect.DeepEqual(m, map[string]string{"host": "a"}) {
		t.Errorf("Mapping = %v, %v; want the master's", m, err)
	}
	if r, err := reader.Revision(ctx); err != nil || r != vs[0] {
		t.Errorf("Revision = %d, %v; want %d", r, err, vs[0])
	}
	if r, err := reader.Get(ctx, "a"); err != nil || r.Version != vs[0] {
		t.Errorf("Get = %+v, %v; want version %d", r, err, vs[0])
	}
	if snap, err := reader.Snapshot(ctx); err != nil || len(snap) != 1 || snap["a"].Version != vs[0] {
		t.Errorf("Snapshot = %v, %v; want a at version %d", snap, err, vs[0])
	}
	select {
	case e := <-events:
		if e != (tenantconfig.Event{Tenant: "a", Version: vs[0]}) {
			t.Errorf("event %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Error("the watcher never received the master's announcement")
	}
}
