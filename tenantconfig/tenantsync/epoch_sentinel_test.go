package tenantsync_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/redisurl"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// TestSentinelFailoverMissingEpochKeepsStoreAsItIs is
// TestFailoverMissingEpochKeepsStoreAsItIs on the Sentinel set-up: the
// replica stops applying (CLIENT PAUSE) before the first write of this
// version, which sets the epoch of a store written by an older one, and
// the master is killed. The new master's next write sets the epoch
// again: the store lost two writes, not all its data, and the store as
// it is wins.
func TestSentinelFailoverMissingEpochKeepsStoreAsItIs(t *testing.T) {
	ctx := context.Background()
	topo := testenv.Sentinel(t, testenv.Exclusive)
	client, err := redisurl.NewClient(topo.URL)
	if err != nil {
		t.Fatal(err)
	}
	service := fmt.Sprintf("epoch-%d", time.Now().UnixNano())
	tag := "{" + redisstore.DefaultPrefix + ":" + service + "}"
	t.Cleanup(func() {
		for _, k := range []string{"configs", "versions", "revision", "sums", "digest", "epoch"} {
			_ = client.Del(context.Background(), tag+":"+k).Err()
		}
		_ = client.Close()
	})
	store, err := redisstore.New(client, service, redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, store, put("a", "a1.db"), put("b", "b1.db"), put("c", "c1.db"))
	if err := client.Del(ctx, tag+":epoch").Err(); err != nil { // as an older version left it
		t.Fatal(err)
	}
	master, err := topo.Master(ctx, tag+":revision")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := testenv.Node(t, master).Do(ctx, "WAIT", 1, 2000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT: %d %v", n, err)
	}
	r := newResolver(t)
	// Not watched: the Syncer resyncs only when asked, so the new
	// master's first write comes before it looks (as under a steady flow
	// of writes).
	sy := start(t, unwatched{store, store, store}, r, tenantsync.WithResyncInterval(-1))
	// Shorter than the sentinels' down-after (1 s): a paused replica
	// answers no PING and would not be promoted.
	const pause = 900 * time.Millisecond
	paused := time.Now()
	if _, err := topo.PauseReplication(ctx, tag+":revision", pause); err != nil {
		t.Fatal(err)
	}
	mustApply(t, store, put("x1", "x1.db")) // sets the epoch
	mustApply(t, store, put("x2", "x2.db"))
	resyncWith(t, sy, sy.ResyncFull)
	if !r.Has("x1") || !r.Has("x2") {
		t.Fatalf("x1 and x2 not served: %v", r.Tenants())
	}
	if _, err := topo.Kill(master); err != nil {
		t.Fatal(err)
	}
	if since := time.Since(paused); since >= pause {
		t.Fatalf("the master was killed %v after the pause began, not within %v: the writes may have replicated", since, pause)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := store.Apply(cctx, put("y", "y1.db"))
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write succeeded within 20 s of the kill: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	want := map[string]string{"a": "a1.db", "b": "b1.db", "c": "c1.db", "y": "y1.db"}
	if got := storeState(t, store); !reflect.DeepEqual(got, want) {
		t.Fatalf("the store after the failover holds %v, want %v: the test did not cut replication", got, want)
	}
	resyncDone(t, sy)
	if got, st := state(r), sy.Stats(); !reflect.DeepEqual(got, want) || st.EmptyStore != 0 {
		t.Fatalf("after a failover that lost two writes the instance serves %v, want the store's %v (stats %+v)", got, want, st)
	}
}

// unwatched is a store without its Watcher: no announcement, no resync
// on reconnection.
type unwatched struct {
	tenantconfig.Store
	tenantconfig.Digester
	tenantconfig.Reviser
}
