package resolver_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// budgetLoad is concurrent work spread at random over several tenants of
// one resolver, with a monitor counting connections as it runs.
type budgetLoad struct {
	r       *resolver.Resolver
	ids     []string // tenants
	workers int
	queries int // in all; 0: run for duration
	// duration bounds a load with no query count.
	duration time.Duration
	// focus, when set, sends every query to ids[0] once it has passed.
	focus time.Duration
	query string
	// timeout returns a query's deadline; nil: none (the load's context
	// ends only when the watchdog gives up).
	timeout func(rng *rand.Rand) time.Duration
	// count returns the connections that exist now, as the monitor sees
	// them; it runs every couple of milliseconds.
	count func() (int, error)
	// stall is the longest time without a finished query the watchdog
	// accepts (0: no watchdog).
	stall time.Duration
	// shared: the workers share one context per tenant (as the chi
	// middleware does), so that the resolver's memo in it serves them
	// all; otherwise each query has a context of its own.
	shared bool
	// dbs, when set, is each tenant's database on PostgreSQL: every
	// query then also checks that it ran there.
	dbs map[string]string
}

// loadResult is what a budgetLoad saw.
type loadResult struct {
	done     int64         // queries that succeeded
	failed   []error       // unexpected errors, a few of each kind
	expired  int64         // queries that ended with their deadline
	maxCount int           // most connections the monitor counted
	samples  int           // monitor samples
	maxGap   time.Duration // longest time without a finished query (see run)
	stalled  bool          // the watchdog gave up
	elapsed  time.Duration
}

// run runs the load. Errors from a query's own deadline count as expired;
// anything else is kept in failed.
func (l budgetLoad) run(t *testing.T) loadResult {
	t.Helper()
	var (
		res      loadResult
		done     atomic.Int64
		expired  atomic.Int64
		issued   atomic.Int64
		finishes atomic.Int64 // queries that ended, in any way
		mu       sync.Mutex
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	// A load with a duration issues no query after it, and lets those
	// running finish.
	over := func() bool { return l.duration > 0 && time.Since(start) > l.duration }
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if len(res.failed) < 10 {
			res.failed = append(res.failed, err)
		}
	}

	shared := make(map[string]context.Context, len(l.ids))
	for _, id := range l.ids {
		shared[id] = tenant.NewContext(ctx, id)
	}

	var wg sync.WaitGroup
	for w := range l.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for ctx.Err() == nil && !over() {
				if l.queries > 0 && issued.Add(1) > int64(l.queries) {
					return
				}
				id := l.ids[rng.IntN(len(l.ids))]
				if l.focus > 0 && time.Since(start) > l.focus {
					id = l.ids[0]
				}
				qctx, qcancel := tenant.NewContext(ctx, id), context.CancelFunc(func() {})
				if l.shared {
					qctx = shared[id]
				}
				if l.timeout != nil {
					qctx, qcancel = context.WithTimeout(qctx, l.timeout(rng))
				}
				err := l.exec(qctx, id)
				// Past its deadline, even if the context's timer has not
				// fired yet (the dialer uses the deadline itself).
				deadline, ok := qctx.Deadline()
				expiredNow := ok && !time.Now().Before(deadline)
				qcancel()
				switch {
				case err == nil:
					done.Add(1)
					finishes.Add(1)
				case ctx.Err() != nil:
					return // the load is over
				case expiredNow:
					// Its deadline passed: pgx reports that in several
					// ways (a timeout, a bad connection on retry, a
					// failed dial), the budget with ErrConnBudget.
					expired.Add(1)
					finishes.Add(1)
				default:
					fail(fmt.Errorf("tenant %s: %w", id, err))
				}
			}
		}()
	}

	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	// The pause is counted in the monitor's time: a tick counts for at
	// most maxTick, so that a test process starved of CPU by a busy
	// machine does not pass for a stall.
	const maxTick = 50 * time.Millisecond
	var gap time.Duration
	last, seen := time.Now(), int64(0)
	for running := true; running; {
		select {
		case <-finished:
			running = false
		case <-tick.C:
			if l.count != nil {
				n, err := l.count()
				if err != nil {
					fail(fmt.Errorf("monitor: %w", err))
				}
				res.samples++
				res.maxCount = max(res.maxCount, n)
			}
			now := time.Now()
			if n := finishes.Load(); n != seen {
				seen, gap = n, 0
			} else {
				gap += min(now.Sub(last), maxTick)
			}
			last = now
			res.maxGap = max(res.maxGap, gap)
			if l.stall > 0 && gap > l.stall && !res.stalled {
				res.stalled = true
				t.Errorf("no query finished for %v (%d done): %+v", gap, done.Load(), l.r.Stats())
				cancel() // let the workers go: the test has failed
			}
		}
	}
	res.done, res.expired, res.elapsed = done.Load(), expired.Load(), time.Since(start)
	return res
}

func (l budgetLoad) exec(ctx context.Context, id string) error {
	p, err := l.r.ConnPool(ctx, id, tenantplugin.AccessWrite)
	if err != nil {
		return err
	}
	if l.dbs == nil {
		_, err = p.ExecContext(ctx, l.query)
		return err
	}
	var name string
	if err := p.QueryRowContext(ctx, "SELECT current_database() FROM ("+l.query+") q").Scan(&name); err != nil {
		return err
	}
	if name != l.dbs[id] {
		return fmt.Errorf("tenant %s: the query ran on database %s, want %s", id, name, l.dbs[id])
	}
	return nil
}
