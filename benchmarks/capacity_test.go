package benchmarks

import (
	"context"
	"fmt"
	"math/rand/v2"
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

// Capacity simulation: Zipf-distributed traffic over many tenants.
const (
	capTenants   = 10_000
	capDatabases = 20 // tenant i's pool opens database i % capDatabases
	capZipfS     = 1.1
	capWorkers   = 8
	capWarmup    = 3 * time.Second
	capRun       = 8 * time.Second
)

// capacityRun is what one run measured.
type capacityRun struct {
	queries   int
	opens     uint64
	elapsed   time.Duration
	lat       []time.Duration
	peakConns int
}

// capacityLoad is a *gorm.DB with the plugin over capTenants tenants on
// capDatabases databases, with a resolver capped at maxPools.
type capacityLoad struct {
	r  *resolver.Resolver
	db *gorm.DB
}

func newCapacityLoad(b *testing.B, tmplDSN, central string, dbs []string, maxPools int) capacityLoad {
	b.Helper()
	r, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: tmplDSN},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
		MaxPools: maxPools,
		Logger:   fixture.Quiet(),
		// capTenants tenants on len(dbs) databases.
		AllowSharedDatabases: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Close() })
	for i := range capTenants {
		ds := tenantconfig.DataSource{Name: dbs[i%len(dbs)]}
		if err := r.Set(context.Background(), capID(i), tenantconfig.Database{DataSource: ds}); err != nil {
			b.Fatal(err)
		}
	}
	l := capacityLoad{r: r, db: openPG(b, testenv.DSN(b, central))}
	if err := l.db.Use(tenantplugin.New(tenantplugin.Config{Resolver: r, Logger: fixture.Quiet()})); err != nil {
		b.Fatal(err)
	}
	return l
}

func capID(i int) string { return fmt.Sprintf("z%05d", i) }

// run has capWorkers workers run a primary-key First for d, each on a
// tenant drawn from pick, and measures each query.
func (l capacityLoad) run(b *testing.B, d time.Duration, pick func(*rand.Rand) int) capacityRun {
	b.Helper()
	var (
		mu      sync.Mutex
		out     capacityRun
		once    sync.Once
		fail    error
		wg      sync.WaitGroup
		stopped atomic.Bool
	)
	opens0 := l.r.Stats().Opened
	// Sample the budget's connections in use for the peak.
	sampled := make(chan int)
	go func() {
		peak := 0
		for !stopped.Load() {
			peak = max(peak, l.r.Stats().ConnsInUse)
			time.Sleep(5 * time.Millisecond)
		}
		sampled <- peak
	}()
	start := time.Now()
	stop := start.Add(d)
	for w := range capWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			var lat []time.Duration
			for time.Now().Before(stop) {
				id := capID(pick(rng))
				ctx, cancel := context.WithTimeout(tenant.NewContext(context.Background(), id), 30*time.Second)
				t0 := time.Now()
				var row Row
				err := l.db.WithContext(ctx).First(&row, 1).Error
				lat = append(lat, time.Since(t0))
				cancel()
				if err != nil {
					once.Do(func() { fail = fmt.Errorf("tenant %s: %w", id, err) })
					return
				}
			}
			mu.Lock()
			out.lat = append(out.lat, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	stopped.Store(true)
	out.peakConns = <-sampled
	if fail != nil {
		b.Fatal(fail)
	}
	out.queries = len(out.lat)
	out.opens = l.r.Stats().Opened - opens0
	return out
}

// zipf returns a picker of tenant indexes, Zipf-distributed with
// exponent capZipfS over capTenants (index 0 the busiest).
func zipf() func(*rand.Rand) int {
	var mu sync.Mutex
	z := map[*rand.Rand]*rand.Zipf{}
	return func(r *rand.Rand) int {
		mu.Lock()
		zz := z[r]
		if zz == nil {
			zz = rand.NewZipf(r, capZipfS, 1, capTenants-1)
			z[r] = zz
		}
		mu.Unlock()
		return int(zz.Uint64())
	}
}

// BenchmarkCapacity simulates Zipf traffic (s = 1.1) over 10,000
// tenants, 8 workers running primary-key Firsts, with MaxPools 100, 200
// and 500, next to an all-warm run: the same workers on 20 tenants whose
// pools never close. Each run warms up for 3 s and is measured for 8 s;
// it reports the pool hit ratio (queries that found their tenant's pool
// open), pool opens per second, p50 and p99 latency, and the peak of
// budget connections in use. Run it with -benchtime=1x.
func BenchmarkCapacity(b *testing.B) {
	dbs := testenv.Databases(b, capDatabases+1)
	for _, name := range dbs[1:] {
		seed := openPG(b, testenv.DSN(b, name))
		if err := seed.AutoMigrate(&Row{}); err != nil {
			b.Fatal(err)
		}
		if err := seed.Create(&Row{Name: "x"}).Error; err != nil {
			b.Fatal(err)
		}
		if s, err := seed.DB(); err == nil {
			_ = s.Close()
		}
	}
	type variant struct {
		name     string
		maxPools int
		pick     func(*rand.Rand) int
		tmpl     string
	}
	direct := testenv.PostgresURL(b)
	bouncer := testenv.PgBouncer(b) + "&pgbouncer=transaction&default_query_exec_mode=simple_protocol"
	variants := []variant{
		{"warm", capDatabases * 2, func(r *rand.Rand) int { return r.IntN(capDatabases) }, direct},
		{"pools-100", 100, zipf(), direct},
		{"pools-200", 200, zipf(), direct},
		{"pools-500", 500, zipf(), direct},
		{"pools-200-bouncer", 200, zipf(), bouncer},
	}
	results := map[string]capacityRun{}
	for b.Loop() {
		for _, v := range variants {
			l := newCapacityLoad(b, v.tmpl, dbs[0], dbs[1:], v.maxPools)
			l.run(b, capWarmup, v.pick)
			res := l.run(b, capRun, v.pick)
			results[v.name] = res
			_ = l.r.Close()
			b.Logf("%s: %d queries, %d pool opens (%.1f/s), hit ratio %.3f, p50 %.0f µs, p99 %.0f µs, peak connections %d",
				v.name, res.queries, res.opens, float64(res.opens)/res.elapsed.Seconds(),
				1-float64(res.opens)/float64(res.queries), percentile(res.lat, 50), percentile(res.lat, 99), res.peakConns)
		}
	}
	b.StopTimer()
	warm := results["warm"]
	b.ReportMetric(percentile(warm.lat, 99), "warm-p99-us")
	for _, v := range variants[1:] {
		r := results[v.name]
		b.ReportMetric(1-float64(r.opens)/float64(r.queries), v.name+"-hit")
		b.ReportMetric(float64(r.opens)/r.elapsed.Seconds(), v.name+"-opens/s")
		b.ReportMetric(percentile(r.lat, 50), v.name+"-p50-us")
		b.ReportMetric(percentile(r.lat, 99), v.name+"-p99-us")
		b.ReportMetric(float64(r.peakConns), v.name+"-peak-conns")
		b.ReportMetric(percentile(r.lat, 99)/percentile(warm.lat, 99), v.name+"-p99/warm")
	}
}
