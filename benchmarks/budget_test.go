package benchmarks

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// budgetLoad is a GORM database with the plugin over tenants that all
// draw on one connection budget.
type budgetLoad struct {
	r   *resolver.Resolver
	db  *gorm.DB
	ids []string
}

func newBudgetLoad(b *testing.B, central string, dbs []string, maxConns int) budgetLoad {
	b.Helper()
	r, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(b)},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
		MaxConns: maxConns,
		Logger:   fixture.Quiet(),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Close() })
	l := budgetLoad{r: r, db: openPG(b, testenv.DSN(b, central))}
	if err := l.db.Use(tenantplugin.New(tenantplugin.Config{Resolver: r, Logger: fixture.Quiet()})); err != nil {
		b.Fatal(err)
	}
	for i, name := range dbs {
		id := fmt.Sprintf("b%d", i)
		if err := r.Set(context.Background(), id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: name}}); err != nil {
			b.Fatal(err)
		}
		l.ids = append(l.ids, id)
	}
	return l
}

// run has workers run query on tenants picked at random for d, and
// returns the queries per second. Any error (a query's deadline is 30 s)
// fails the benchmark.
func (l budgetLoad) run(b *testing.B, workers int, d time.Duration, query string) float64 {
	b.Helper()
	var (
		n    atomic.Int64
		once sync.Once
		fail error
		wg   sync.WaitGroup
	)
	stop := time.Now().Add(d)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for time.Now().Before(stop) {
				id := l.ids[rng.IntN(len(l.ids))]
				ctx, cancel := context.WithTimeout(tenant.NewContext(context.Background(), id), 30*time.Second)
				err := l.db.WithContext(ctx).Exec(query).Error
				cancel()
				if err != nil {
					once.Do(func() { fail = fmt.Errorf("tenant %s: %w", id, err) })
					return
				}
				n.Add(1)
			}
		}()
	}
	start := time.Now()
	wg.Wait()
	elapsed := time.Since(start)
	if fail != nil {
		b.Fatal(fail)
	}
	return float64(n.Load()) / elapsed.Seconds()
}

// BenchmarkBudget compares the throughput of 32 workers running 20 ms
// queries under a budget of 8 connections: spread at random over 8
// tenants ("tenants"), and all on one tenant ("single", the most the
// budget allows: each connection always busy). Each iteration runs both
// for 3 s, in alternating order; the benchmark reports each one's median
// queries per second over the iterations and the median of the
// iterations' ratios. Run it with -benchtime=5x or more.
func BenchmarkBudget(b *testing.B) {
	const (
		tenants  = 8
		maxConns = 8
		workers  = 32
		d        = 3 * time.Second
		query    = "SELECT pg_sleep(0.02)"
	)
	dbs := testenv.Databases(b, tenants+2)
	multi := newBudgetLoad(b, dbs[0], dbs[2:], maxConns)
	single := newBudgetLoad(b, dbs[0], dbs[1:2], maxConns)
	// Warm up: pools opened, connections spread.
	single.run(b, workers, time.Second, query)
	multi.run(b, workers, time.Second, query)

	var qsMulti, qsSingle, ratio []float64
	i := 0
	for b.Loop() {
		var m, s float64
		if i%2 == 0 {
			m = multi.run(b, workers, d, query)
			s = single.run(b, workers, d, query)
		} else {
			s = single.run(b, workers, d, query)
			m = multi.run(b, workers, d, query)
		}
		i++
		qsMulti, qsSingle, ratio = append(qsMulti, m), append(qsSingle, s), append(ratio, m/s)
		b.Logf("round %d: tenants %.0f q/s, single %.0f q/s, ratio %.3f", i, m, s, m/s)
	}
	b.StopTimer()
	st := multi.r.Stats()
	b.Logf("tenants: %d budget waits, %d pools evicted", st.BudgetWaits, st.Evicted)
	b.ReportMetric(median(qsMulti), "tenants-q/s")
	b.ReportMetric(median(qsSingle), "single-q/s")
	b.ReportMetric(median(ratio), "ratio")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// sessionBlind hides the pgdriver connector's session tracking: the
// budget then gives a slot back when Close returns.
type sessionBlind struct{ dbdriver.Driver }

func (d sessionBlind) Connector(tmpl string, c tenantconfig.DataSource) (driver.Connector, error) {
	conn, err := d.Driver.Connector(tmpl, c)
	return struct{ driver.Connector }{conn}, err
}

// BenchmarkBudgetRelease measures how long a closed pool's connections
// keep their budget slots: each iteration opens a tenant's pool with two
// idle connections, removes the tenant, and times until the pool is
// closed and until the budget has both slots back. "tracked" waits for
// the server sessions to end (the backends to exit), "blind" gives the
// slots back when Close returns; iterations alternate between the two.
func BenchmarkBudgetRelease(b *testing.B) {
	dbs := testenv.Databases(b, 1)
	drivers := map[string]dbdriver.Driver{"tracked": pgdriver.New(), "blind": sessionBlind{pgdriver.New()}}
	resolvers := map[string]*resolver.Resolver{}
	for name, d := range drivers {
		r, err := resolver.New(resolver.Config{
			Template: resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(b)},
			Drivers:  []dbdriver.Driver{d},
			Logger:   fixture.Quiet(),
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = r.Close() })
		resolvers[name] = r
	}
	closed := map[string][]time.Duration{}
	released := map[string][]time.Duration{}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		name := []string{"tracked", "blind"}[i%2]
		r := resolvers[name]
		id := fmt.Sprintf("rel%d", i)
		i++
		if err := r.Set(ctx, id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[0]}}); err != nil {
			b.Fatal(err)
		}
		pool, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				if _, err := pool.ExecContext(ctx, "SELECT pg_sleep(0.005)"); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		st := r.Stats()
		if st.ConnsInUse != 2 {
			b.Fatalf("%d connections, want 2", st.ConnsInUse)
		}
		start := time.Now()
		if err := r.Remove(ctx, id); err != nil {
			b.Fatal(err)
		}
		var tClosed time.Duration
		for {
			now := r.Stats()
			if tClosed == 0 && now.Closed > st.Closed {
				tClosed = time.Since(start)
			}
			if now.ConnsInUse == 0 {
				released[name] = append(released[name], time.Since(start))
				break
			}
			time.Sleep(20 * time.Microsecond)
		}
		if tClosed == 0 {
			tClosed = released[name][len(released[name])-1]
		}
		closed[name] = append(closed[name], tClosed)
	}
	for _, name := range []string{"tracked", "blind"} {
		b.ReportMetric(percentile(closed[name], 50), name+"-closed-p50-us")
		b.ReportMetric(percentile(released[name], 50), name+"-released-p50-us")
		b.ReportMetric(percentile(released[name], 90), name+"-released-p90-us")
	}
}
