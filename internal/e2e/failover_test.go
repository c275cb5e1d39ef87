package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// The store and three watchers (instances in processes of their own) on
// the Redis Sentinel set-up and the Redis Cluster that scripts/services.sh
// starts, while the master holding the service's keys is killed or failed
// over. The cluster clients have go-redis's defaults.

const (
	// writePeriod is the steady writer's pace: 20 changes a second.
	writePeriod = 50 * time.Millisecond
	// killBound is how long after SIGKILL of the master writes must
	// succeed again and every watcher hold the changes made since.
	killBound = 5 * time.Second
	// gracefulLag is how far behind the writer a watcher may be during
	// a graceful failover.
	gracefulLag = 2 * time.Second
)

func TestFailoverKillSentinel(t *testing.T) { testFailoverKill(t, "sentinel") }
func TestFailoverKillCluster(t *testing.T)  { testFailoverKill(t, "cluster") }

// testFailoverKill: SIGKILL of the master under a steady writer. Writes
// succeed again, and every watcher holds every change made after the
// kill, within killBound; tenantctl works before and after.
func testFailoverKill(t *testing.T, kind string) {
	te := newTopoEnv(t, kind)
	dbs := testenv.Databases(t, 3)
	central, dbA, dbB := dbs[0], dbs[1], dbs[2]
	insts := te.instances(3, te.dsn(central, ""))
	ctx := context.Background()

	// tenantctl before the failover.
	const ctlID = "ctl.localhost"
	te.mustCtl("add", ctlID, "--dsn", te.dsn(dbA, ""))
	if got := te.mustCtl("list").stdout; got != ctlID+"\n" {
		t.Fatalf("tenantctl list = %q, want %q", got, ctlID+"\n")
	}
	waitAll(t, insts, func(i *instance) error { _, err := i.wait(ctlID, dbA, 5*time.Second); return err })

	w := te.startWriter("k", te.dsn(dbA, ""), writePeriod)
	if _, err := w.firstAfter(time.Now(), time.Now().Add(5*time.Second)); err != nil {
		t.Fatalf("writer before the kill: %v", err)
	}
	time.Sleep(500 * time.Millisecond) // a steady stream before the kill
	master, err := te.topo.Master(ctx, te.key())
	if err != nil {
		t.Fatal(err)
	}
	killed, err := te.topo.Kill(master)
	if err != nil {
		t.Fatal(err)
	}
	deadline := killed.Add(killBound)
	first, err := w.firstAfter(killed, deadline)
	if err != nil {
		t.Fatalf("%s: master %s killed: %v", kind, master, err)
	}
	t.Logf("%s: writes back %v after the kill", kind, first.at.Sub(killed).Round(time.Millisecond))
	var (
		mu    sync.Mutex
		worst time.Duration
	)
	waitAll(t, insts, func(i *instance) error {
		r, err := i.wait(first.id, dbA, max(time.Until(deadline), time.Millisecond))
		if err != nil {
			return fmt.Errorf("not holding the first change after the kill within %v: %w", killBound, err)
		}
		mu.Lock()
		worst = max(worst, r.at().Sub(killed))
		mu.Unlock()
		return nil
	})
	t.Logf("%s: every watcher had the first change after the kill %v after it", kind, worst.Round(time.Millisecond))

	time.Sleep(time.Second) // a steady stream after the failover
	w.halt()
	if err := holdsAll(insts, w.after(killed), dbA, 2*time.Second); err != nil {
		t.Errorf("%s: changes acknowledged after the kill: %v", kind, err)
	}

	// tenantctl after the failover.
	te.mustCtl("update", ctlID, "--dsn", te.dsn(dbB, ""))
	if got := te.mustCtl("list").stdout; !strings.Contains(got, ctlID+"\n") || !strings.Contains(got, first.id+"\n") {
		t.Errorf("tenantctl list after the failover lacks %s or %s:\n%s", ctlID, first.id, got)
	}
	if show := te.mustCtl("show", ctlID).stdout; !strings.Contains(show, dbB) {
		t.Errorf("tenantctl show after the failover does not name %s:\n%s", dbB, show)
	}
	waitAll(t, insts, func(i *instance) error { _, err := i.wait(ctlID, dbB, 5*time.Second); return err })
}

func TestFailoverGracefulSentinel(t *testing.T) { testFailoverGraceful(t, "sentinel") }
func TestFailoverGracefulCluster(t *testing.T)  { testFailoverGraceful(t, "cluster") }

// testFailoverGraceful: SENTINEL FAILOVER, or CLUSTER FAILOVER on the
// replica, under a steady writer: every fourth change is awaited on every
// watcher, which must hold it within gracefulLag of its acknowledgment.
func testFailoverGraceful(t *testing.T, kind string) {
	te := newTopoEnv(t, kind)
	dbs := testenv.Databases(t, 2)
	insts := te.instances(3, te.dsn(dbs[0], ""))
	ctx := context.Background()
	w := te.startWriter("g", te.dsn(dbs[1], ""), writePeriod)
	if _, err := w.firstAfter(time.Now(), time.Now().Add(5*time.Second)); err != nil {
		t.Fatalf("writer before the failover: %v", err)
	}

	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	checkUntil := func(end time.Time) {
		var last time.Time
		for n := 0; time.Now().Before(end); {
			a, err := w.firstAfter(last, end)
			if err != nil {
				break
			}
			last = a.at
			if n++; n%4 != 0 {
				continue
			}
			wg.Go(func() {
				// The wait starts after the acknowledgment: what is left
				// of the bound is what the watcher may take.
				left := gracefulLag - time.Since(a.at)
				waits := startWaits(insts, a.id, dbs[1], max(left, time.Millisecond))
				for range insts {
					if r := <-waits; r.err != nil {
						mu.Lock()
						errs = append(errs, fmt.Errorf("more than %v behind on %s: %w", gracefulLag, a.id, r.err))
						mu.Unlock()
					}
				}
			})
		}
	}
	checkUntil(time.Now().Add(time.Second))
	master, err := te.topo.Master(ctx, te.key())
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	if err := te.topo.Failover(ctx, te.key()); err != nil {
		t.Fatalf("%s failover: %v", kind, err)
	}
	checkUntil(started.Add(8 * time.Second))
	w.halt()
	wg.Wait()
	if now, err := te.topo.Master(ctx, te.key()); err != nil || now == master {
		t.Fatalf("%s: the master is still %s (%v): no failover happened", kind, now, err)
	}
	if err := errors.Join(errs...); err != nil {
		t.Errorf("%s: graceful failover: %v", kind, err)
	}
	if a := w.after(started.Add(5 * time.Second)); len(a) == 0 {
		t.Errorf("%s: no write succeeded from 5 s after the failover on", kind)
	}
}

func TestLostWritesSentinel(t *testing.T) { testLostWrites(t, "sentinel") }
func TestLostWritesCluster(t *testing.T)  { testLostWrites(t, "cluster") }

// testLostWrites: replication is cut (CLIENT PAUSE on the replica), a
// create, an update and a delete are acknowledged and reach every
// watcher, then the master is killed: the new master never had them.
// Then the store makes new changes (reusing the lost versions). After
// the next resync every watcher must hold exactly what the store holds.
func testLostWrites(t *testing.T, kind string) {
	te := newTopoEnv(t, kind)
	dbs := testenv.Databases(t, 3)
	central, dbA, dbB := dbs[0], dbs[1], dbs[2]
	const created, updated, deleted = "created.localhost", "updated.localhost", "deleted.localhost"
	te.mustPut(updated, te.dsn(dbA, ""))
	te.mustPut(deleted, te.dsn(dbA, ""))
	const resync = time.Second
	insts := te.instances(3, te.dsn(central, ""), "-resync-interval", resync.String())
	ctx := context.Background()

	master, err := te.topo.Master(ctx, te.key())
	if err != nil {
		t.Fatal(err)
	}
	// The replica has every change so far.
	if n, err := testenv.Node(t, master).Do(ctx, "WAIT", 1, 2000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT: %d %v", n, err)
	}
	// The pause must stay shorter than the sentinels' down-after (1 s):
	// a paused replica answers no PING and would not be promoted.
	const pause = 900 * time.Millisecond
	paused := time.Now()
	if _, err := te.topo.PauseReplication(ctx, te.key(), pause); err != nil {
		t.Fatal(err)
	}
	for _, c := range []tenantconfig.Change{
		{Kind: tenantconfig.PutTenant, Tenant: created, Create: true, Config: dsnConfig(te.dsn(dbA, ""))},
		{Kind: tenantconfig.PutTenant, Tenant: updated, Config: dsnConfig(te.dsn(dbB, ""))},
		{Kind: tenantconfig.DeleteTenant, Tenant: deleted},
	} {
		if _, err := te.store.Apply(ctx, c); err != nil {
			t.Fatalf("%s: %v", c.Tenant, err)
		}
	}
	waitAll(t, insts, func(i *instance) error {
		if _, err := i.wait(created, dbA, pause); err != nil {
			return err
		}
		if _, err := i.wait(updated, dbB, pause); err != nil {
			return err
		}
		_, err := i.wait(deleted, "", pause)
		return err
	})
	if _, err := te.topo.Kill(master); err != nil {
		t.Fatal(err)
	}
	if since := time.Since(paused); since >= pause {
		t.Fatalf("the master was killed %v after the pause began, not within %v: the writes may have replicated", since, pause)
	}

	// New changes after the failover, with the versions of the lost ones
	// and other content.
	deadline := time.Now().Add(20 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		err := te.put(cctx, created, te.dsn(dbB, ""))
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no write succeeded within 20 s of the kill: %v", kind, err)
		}
	}
	te.mustPut("after-1.localhost", te.dsn(dbA, ""))
	te.mustPut("after-2.localhost", te.dsn(dbA, ""))

	snap, err := te.store.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if db, _ := snap[updated].Config.Database(tenantconfig.GORM, tenantconfig.DefaultAlias); !strings.Contains(db.DSN, "/"+dbA) {
		t.Fatalf("%s: the update was not lost (the store has %q): the test did not cut replication", kind, db.DSN)
	}
	if _, ok := snap[deleted]; !ok {
		t.Fatalf("%s: the delete was not lost: the test did not cut replication", kind)
	}
	want := map[string]string{}
	for id, r := range snap {
		db, _ := r.Config.Database(tenantconfig.GORM, tenantconfig.DefaultAlias)
		want[id] = db.DSN[strings.LastIndex(db.DSN, "/")+1:]
		if i := strings.IndexByte(want[id], '?'); i >= 0 {
			want[id] = want[id][:i]
		}
	}

	// After the next resync (every second), every watcher holds the
	// store's tenants, routed to the store's databases.
	bound := time.Now().Add(3*resync + 2*time.Second)
	waitAll(t, insts, func(i *instance) error {
		var diff string
		for {
			diff = i.differsFrom(want)
			if diff == "" {
				return nil
			}
			if time.Now().After(bound) {
				return fmt.Errorf("%s: after the resyncs: %s", i.name, diff)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// differsFrom says how the tenants the instance serves differ from want
// (tenant → database), "" when they do not.
func (i *instance) differsFrom(want map[string]string) string {
	var s statsReply
	if status, err := i.get("/stats", &s); err != nil || status != http.StatusOK {
		return fmt.Sprintf("stats: %d %v", status, err)
	}
	var diffs []string
	for _, id := range s.Tenants {
		if _, ok := want[id]; !ok {
			diffs = append(diffs, id+" is served but not in the store")
		}
	}
	for id, db := range want {
		if !slices.Contains(s.Tenants, id) {
			diffs = append(diffs, id+" is in the store but not served")
			continue
		}
		status, r, err := i.where(id)
		if err != nil || status != http.StatusOK || r.Database != db {
			diffs = append(diffs, fmt.Sprintf("%s routes to %q (%d %s %v), the store says %s", id, r.Database, status, r.Error, err, db))
		}
	}
	slices.Sort(diffs)
	return strings.Join(diffs, "; ")
}
