package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

// propagationTrials is the number of tenants added per iteration of
// BenchmarkPropagation.
const propagationTrials = 100

// BenchmarkPropagation measures how long after `tenantctl add` returns
// each of three instances routes the new tenant's first statement to its
// database. Before each trial every instance long-polls /wait for the new
// id (a query every 200 µs), so that it reports when it first succeeded.
// The time includes opening the tenant's pool (its first connection);
// known-* is when the instance's resolver first had the tenant. Negative
// values mean that the instance applied the change before the tenantctl
// process had finished exiting.
func BenchmarkPropagation(b *testing.B) {
	e := newEnv(b)
	dbs := testenv.Databases(b, 2)
	rs := e.startRedis("")
	insts := e.startInstances(3, e.instanceArgs(rs, e.dsn(dbs[0], ""), "-allow-empty"))
	dumpOnFailure(b, rs, insts...)
	target := e.dsn(dbs[1], "")

	var prop, known, ctl []time.Duration
	b.ResetTimer()
	for n := range b.N {
		for trial := range propagationTrials {
			id := fmt.Sprintf("p%d-%d.localhost", n, trial)
			waits := startWaits(insts, id, dbs[1], 10*time.Second)
			time.Sleep(5 * time.Millisecond) // the polls have reached the instances
			start := time.Now()
			res := e.mustCtl(rs, "add", id, "--dsn", target)
			ctl = append(ctl, res.returned.Sub(start))
			for range insts {
				w := <-waits
				if w.err != nil {
					b.Fatal(w.err)
				}
				prop = append(prop, w.r.at().Sub(res.returned))
				known = append(known, w.r.known().Sub(res.returned))
			}
			// Not measured: remove the tenant, so that every trial starts
			// from the same state.
			b.StopTimer()
			e.mustCtl(rs, "remove", id)
			gone := startWaits(insts, id, "", 10*time.Second)
			for range insts {
				if w := <-gone; w.err != nil {
					b.Fatal(w.err)
				}
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(us(percentile(prop, 50)), "prop-p50-us")
	b.ReportMetric(us(percentile(prop, 99)), "prop-p99-us")
	b.ReportMetric(us(percentile(prop, 100)), "prop-max-us")
	b.ReportMetric(us(percentile(known, 50)), "known-p50-us")
	b.ReportMetric(us(percentile(known, 99)), "known-p99-us")
	b.ReportMetric(us(percentile(ctl, 50)), "tenantctl-p50-us")
	b.ReportMetric(float64(len(prop)), "samples")
}

// recoveryOutages are how long Redis stays down in the restarts of one
// iteration of BenchmarkRecovery. The watchers retry with a backoff that
// doubles up to 1 s, so how long they take to come back depends on where
// the restart falls between two attempts: the outages spread it.
var recoveryOutages = []time.Duration{
	1000 * time.Millisecond, 1300 * time.Millisecond, 1600 * time.Millisecond,
	2000 * time.Millisecond, 2500 * time.Millisecond,
}

// BenchmarkRecovery measures, over several Redis restarts (SIGKILL, down
// for recoveryOutages, restart on the same port with its append-only
// file), the time from Redis accepting connections again to all three
// instances (under load) routing a tenant added right after the restart.
// recovery-ms is the median over the restarts, recovery-max-ms the worst.
func BenchmarkRecovery(b *testing.B) {
	e := newEnv(b)
	dbs := testenv.Databases(b, 2)
	rs := e.startRedis("")
	e.mustCtl(rs, "add", "base.localhost", "--dsn", e.dsn(dbs[1], ""))
	insts := e.startInstances(3, e.instanceArgs(rs, e.dsn(dbs[0], ""), "-load", "8"))
	dumpOnFailure(b, rs, insts...)
	waitAll(b, insts, func(i *instance) error { _, err := i.wait("base.localhost", dbs[1], 5*time.Second); return err })

	var rec, ctl []time.Duration
	b.ResetTimer()
	for n := range b.N {
		for round, outage := range recoveryOutages {
			id := fmt.Sprintf("r%d-%d.localhost", n, round)
			rs.kill()
			time.Sleep(outage)
			waits := startWaits(insts, id, dbs[1], 15*time.Second)
			time.Sleep(5 * time.Millisecond)
			up := rs.restart()
			res := e.mustCtl(rs, "add", id, "--allow-shared-database", "--dsn", e.dsn(dbs[1], ""))
			ctl = append(ctl, res.returned.Sub(up))
			var worst time.Duration
			for range insts {
				w := <-waits
				if w.err != nil {
					b.Fatal(w.err)
				}
				worst = max(worst, w.r.at().Sub(up))
			}
			rec = append(rec, worst)
			b.Logf("down %v: every instance routed the new tenant %v after Redis was back", outage, worst.Round(time.Millisecond))
		}
	}
	b.StopTimer()
	for _, inst := range insts {
		if s := inst.stats(); s.Load.FailedKnown != 0 {
			b.Errorf("%s: %d load queries failed for known tenants; last: %s", inst.name, s.Load.FailedKnown, s.Load.LastKnownError)
		}
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(percentile(rec, 50)), "recovery-ms")
	b.ReportMetric(ms(percentile(rec, 100)), "recovery-max-ms")
	b.ReportMetric(ms(percentile(ctl, 50)), "change-made-ms")
}

// waited is the outcome of one instance's /wait or /wait-gone.
type waited struct {
	inst *instance
	r    waitReply
	err  error
}

// startWaits starts a long poll on every instance for tenant reaching
// database (or, with "", for tenant being gone); the replies arrive on
// the channel returned, which holds them all.
func startWaits(insts []*instance, tenant, database string, timeout time.Duration) <-chan waited {
	ch := make(chan waited, len(insts))
	for _, inst := range insts {
		go func() {
			r, err := inst.wait(tenant, database, timeout)
			ch <- waited{inst, r, err}
		}()
	}
	return ch
}

// percentile returns the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100 // ceil(p/100 · n)
	return s[max(rank, 1)-1]
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
