package tenantsync_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// ownRedis starts a Redis server of the test's own (to be flushed),
// without persistence, and returns a client of it and the store of
// service "app" on it. The server is killed when the test ends.
func ownRedis(t *testing.T) (*redis.Client, *redisstore.Store) {
	t.Helper()
	bin := testenv.RedisServer(t)
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
		"--logfile", filepath.Join(dir, "redis.log"), "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--protected-mode", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	client := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Protocol: 2})
	t.Cleanup(func() { _ = client.Close() })
	eventually(t, 10*time.Second, "the test's redis-server answers", func() bool {
		return client.Ping(context.Background()).Err() == nil
	})
	store, err := redisstore.New(client, "app", redisstore.WithLogger(fixture.Quiet()), redisstore.WithPingInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	return client, store
}

// epochKey is the key of the epoch of service "app".
const epochKey = "{" + redisstore.DefaultPrefix + ":app}:epoch"

// TestEpochOfUpgradedStoreFollowed: a store written by a version
// without the epoch (no epoch key) gets one at its first write by this
// version, while the instances run and resync, finding nothing changed.
// Then Redis is flushed (FLUSHALL) and written once: the instances must
// keep their tenants as for a store that had its epoch from the start.
func TestEpochOfUpgradedStoreFollowed(t *testing.T) {
	ctx := context.Background()
	client, store := ownRedis(t)
	mustApply(t, store, put("a", "a1.db"), put("b", "b1.db"), put("c", "c1.db"))
	if err := client.Del(ctx, epochKey).Err(); err != nil { // as an older version left it
		t.Fatal(err)
	}
	r := newResolver(t)
	sy := start(t, store, r, tenantsync.WithResyncInterval(-1), tenantsync.WithFullCheckInterval(-1))
	mustApply(t, store, put("d", "d1.db")) // the first write of this version: the epoch
	eventually(t, 5*time.Second, "d served", func() bool { return r.Has("d") })
	resyncDone(t, sy) // nothing changed
	if err := client.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	resyncDone(t, sy)
	mustApply(t, store, put("new", "new.db"))
	eventually(t, 5*time.Second, "new served", func() bool { return r.Has("new") })
	resyncDone(t, sy)
	for _, id := range []string{"a", "b", "c", "d"} {
		if !r.Has(id) {
			t.Fatalf("the first write after FLUSHALL removed %q from an instance booted before the store had its epoch: serving %v, stats %+v",
				id, r.Tenants(), sy.Stats())
		}
	}
}

// TestFailoverMissingEpochKeepsStoreAsItIs: a store written by a
// version without the epoch gets one at its first write by this
// version; a failover then promotes a replica that missed that write
// and the next (it holds every older tenant, no epoch). Its next write
// sets an epoch, another. The store did not lose all its data, only a
// few writes: the store as it is wins, as for any failover that lost
// writes (the tenants those writes added are removed), and no loss of
// all data is reported.
func TestFailoverMissingEpochKeepsStoreAsItIs(t *testing.T) {
	ctx := context.Background()
	client, store := ownRedis(t)
	mustApply(t, store, put("a", "a1.db"), put("b", "b1.db"), put("c", "c1.db"))
	if err := client.Del(ctx, epochKey).Err(); err != nil { // as an older version left it
		t.Fatal(err)
	}
	replica := dumpAll(t, client) // what the replica holds when it stops following
	r := newResolver(t)
	sy := start(t, store, r, tenantsync.WithResyncInterval(-1))
	mustApply(t, store, put("x1", "x1.db")) // sets the epoch
	mustApply(t, store, put("x2", "x2.db"))
	eventually(t, 5*time.Second, "x1 and x2 served", func() bool { return r.Has("x1") && r.Has("x2") })
	resyncWith(t, sy, sy.ResyncFull)
	restoreAll(t, client, replica) // the failover
	mustApply(t, store, put("y", "y1.db"))
	resyncDone(t, sy)
	want := map[string]string{"a": "a1.db", "b": "b1.db", "c": "c1.db", "y": "y1.db"}
	if got := storeState(t, store); !reflect.DeepEqual(got, want) {
		t.Fatalf("the store after the failover holds %v, want %v", got, want)
	}
	if got, st := state(r), sy.Stats(); !reflect.DeepEqual(got, want) || st.EmptyStore != 0 {
		t.Fatalf("after a failover that lost two writes the instance serves %v, want the store's %v (stats %+v)", got, want, st)
	}
}

// dumpAll returns every key of client's database, DUMPed.
func dumpAll(t *testing.T, client *redis.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := client.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		v, err := client.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

// restoreAll makes client's database hold exactly dump.
func restoreAll(t *testing.T, client *redis.Client, dump map[string]string) {
	t.Helper()
	ctx := context.Background()
	if err := client.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for k, v := range dump {
		if err := client.Restore(ctx, k, 0, v).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEpochDeletedByHandThenFlush: the epoch key is deleted by hand (or
// by a tool that cleans keys it does not know) and the instances resync
// before the store's next write. Redis is then flushed and written once:
// the instances must still tell a store that lost all its data.
func TestEpochDeletedByHandThenFlush(t *testing.T) {
	ctx := context.Background()
	client, store := ownRedis(t)
	mustApply(t, store, put("a", "a1.db"), put("b", "b1.db"), put("c", "c1.db"))
	r := newResolver(t)
	sy := start(t, store, r, tenantsync.WithResyncInterval(-1))
	if err := client.Del(ctx, epochKey).Err(); err != nil {
		t.Fatal(err)
	}
	resyncWith(t, sy, sy.ResyncFull)
	if err := client.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	resyncDone(t, sy)
	mustApply(t, store, put("new", "new.db"))
	eventually(t, 5*time.Second, "new served", func() bool { return r.Has("new") })
	resyncDone(t, sy)
	for _, id := range []string{"a", "b", "c"} {
		if !r.Has(id) {
			t.Fatalf("the first write after FLUSHALL removed %q once the epoch key had been deleted: serving %v, stats %+v",
				id, r.Tenants(), sy.Stats())
		}
	}
}

// TestLostDataGuardTellsTheWayOut: Redis is flushed, written once (a
// sign-up), and the tenants are loaded again, but for c, removed from
// the file meanwhile. c's version (from its many changes before) stays
// above the store's revision for long: every resync keeps c and logs an
// error. The error must name the tenants kept and the store's revision,
// and say that a restart drops them; a restarted instance serves the
// store's tenants only.
func TestLostDataGuardTellsTheWayOut(t *testing.T) {
	ctx := context.Background()
	client, store := ownRedis(t)
	mustApply(t, store, put("a", "a1.db"), put("b", "b1.db"), put("c", "c1.db"))
	for i := range 5 {
		mustApply(t, store, put("c", fmt.Sprintf("c%d.db", i+2)))
	}
	var logs testenv.Buffer
	r := newResolver(t)
	sy := start(t, store, r, tenantsync.WithResyncInterval(-1),
		tenantsync.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err := client.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	resyncDone(t, sy)
	mustApply(t, store, put("new", "new.db"))
	mustApply(t, store, put("a", "a1.db"), put("b", "b1.db")) // the file loaded again, without c
	resyncDone(t, sy)
	if !r.Has("c") {
		t.Fatalf("c dropped at once: %v", r.Tenants())
	}
	line := ""
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "lost its data and was written again") {
			line = l
		}
	}
	for _, want := range []string{"kept=[c]", "revision=3", "restart"} {
		if !strings.Contains(line, want) {
			t.Fatalf("the error logged while the tenants are kept lacks %q: %q", want, line)
		}
	}
	r2 := newResolver(t)
	start(t, store, r2, tenantsync.WithResyncInterval(-1))
	if got, want := state(r2), storeState(t, store); !reflect.DeepEqual(got, want) {
		t.Fatalf("a restarted instance serves %v, the store holds %v", got, want)
	}
}
