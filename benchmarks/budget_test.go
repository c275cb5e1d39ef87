package benchmarks

import (
	"context"
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
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
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
		Template: resolver.Template{Driver: pgdriver.Name, DSN: testenv.PostgresURL(b)},
		Drivers:  []resolver.Driver{pgdriver.New()},
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
		if err := r.Set(context.Background(), id, resolver.TenantConfig{DBConfig: resolver.DBConfig{Name: name}}); err != nil {
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
				ctx, cancel := context.WithTimeout(tenantplugin.NewContext(context.Background(), id), 30*time.Second)
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
	b.Logf("tenants: %+v", st)
	for id, ps := range st.Pools {
		b.Logf("%s: open %d max %d waits %d", id, ps.OpenConnections, ps.MaxOpenConnections, ps.WaitCount)
	}
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
