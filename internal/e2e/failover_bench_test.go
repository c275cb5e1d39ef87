package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

// failoverBound bounds the wait for writes after one failover, and
// watchBound the wait for the watchers then: a run that takes longer
// fails the benchmark (it reports no figure).
const (
	failoverBound = 90 * time.Second
	watchBound    = time.Minute
)

// BenchmarkFailover measures, on the Redis Sentinel set-up and the Redis
// Cluster (go-redis's default client settings), the time from the
// master's death (SIGKILL) or from the graceful failover command to the
// steady writer's first change acknowledged by the new master and kept
// there (writes-ms: after a graceful failover, writes that still reach
// the old master are acknowledged and lost, and not counted) and to
// every one of three watchers holding that change (watchers-ms). One failover per
// iteration; the topology is made whole again between them, untimed.
func BenchmarkFailover(b *testing.B) {
	for _, kind := range []string{"sentinel", "cluster"} {
		for _, how := range []string{"kill", "graceful"} {
			b.Run(kind+"/"+how, func(b *testing.B) { benchFailover(b, kind, how) })
		}
	}
}

func benchFailover(b *testing.B, kind, how string) {
	te := newTopoEnv(b, kind)
	dbs := testenv.Databases(b, 2)
	insts := te.instances(3, te.dsn(dbs[0], ""))
	ctx := context.Background()
	w := te.startWriter("b", te.dsn(dbs[1], ""), writePeriod)
	var writes, watchers []time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := te.topo.Restore(); err != nil {
			b.Fatal(err)
		}
		if _, err := w.firstAfter(time.Now(), time.Now().Add(10*time.Second)); err != nil {
			b.Fatalf("writer before the failover: %v", err)
		}
		master, err := te.topo.Master(ctx, te.key())
		if err != nil {
			b.Fatal(err)
		}
		replica, err := te.topo.Replica(ctx, te.key())
		if err != nil {
			b.Fatal(err)
		}
		onReplica := te.nodeStore(replica)
		b.StartTimer()
		var at time.Time
		if how == "kill" {
			if at, err = te.topo.Kill(master); err != nil {
				b.Fatal(err)
			}
		} else {
			at = time.Now()
			if err := te.topo.Failover(ctx, te.key()); err != nil {
				b.Fatal(err)
			}
		}
		promoted, err := te.topo.WaitRole(ctx, replica, "master", at.Add(failoverBound))
		if err != nil {
			b.Fatalf("%s %s: %v", kind, how, err)
		}
		// The first change acknowledged after the promotion that the new
		// master holds (the others went to the old master).
		var first ack
		for from := promoted; ; {
			a, err := w.firstAfter(from, at.Add(failoverBound))
			if err != nil {
				b.Fatalf("%s %s: %v", kind, how, err)
			}
			if _, err := onReplica.Get(ctx, a.id); err == nil {
				first = a
				break
			}
			from = a.at
		}
		var worst time.Duration
		for r := range collect(startWaits(insts, first.id, dbs[1], watchBound), len(insts)) {
			if r.err != nil {
				b.Fatal(r.err)
			}
			worst = max(worst, r.r.at().Sub(at))
		}
		writes = append(writes, first.at.Sub(at))
		watchers = append(watchers, worst)
		b.Logf("%s %s: writes back after %v, every watcher had the next change after %v",
			kind, how, first.at.Sub(at).Round(time.Millisecond), worst.Round(time.Millisecond))
	}
	b.StopTimer()
	w.halt()
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(percentile(writes, 50)), "writes-ms")
	b.ReportMetric(ms(percentile(watchers, 50)), "watchers-ms")
}

// collect returns the first n values of ch, as a sequence.
func collect(ch <-chan waited, n int) func(func(waited) bool) {
	return func(yield func(waited) bool) {
		for range n {
			if !yield(<-ch) {
				return
			}
		}
	}
}
