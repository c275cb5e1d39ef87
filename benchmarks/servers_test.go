package benchmarks

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// noisyServers is a resolver over tenants on two PostgreSQL servers:
// noisy-<i> on the first, quiet-<i> on the second.
func noisyServers(b *testing.B, cfg resolver.Config, dbs1, dbs2 []string) *resolver.Resolver {
	b.Helper()
	u2, err := url.Parse(testenv.Postgres2URL(b))
	if err != nil {
		b.Fatal(err)
	}
	var port2 int
	if _, err := fmt.Sscan(u2.Port(), &port2); err != nil {
		b.Fatal(err)
	}
	cfg.Template = resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(b)}
	cfg.Drivers = []dbdriver.Driver{pgdriver.New()}
	cfg.Logger = fixture.Quiet()
	r, err := resolver.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Close() })
	for i, name := range dbs1 {
		if err := r.Set(context.Background(), fmt.Sprintf("noisy-%d", i), tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: name}}); err != nil {
			b.Fatal(err)
		}
	}
	for i, name := range dbs2 {
		if err := r.Set(context.Background(), fmt.Sprintf("quiet-%d", i), tenantconfig.Database{DataSource: tenantconfig.DataSource{Port: port2, Name: name}}); err != nil {
			b.Fatal(err)
		}
	}
	return r
}

// loop runs stmt as the tenants (in turn) on workers goroutines until
// ctx ends, and returns the statements run per second.
func loop(ctx context.Context, b *testing.B, r *resolver.Resolver, ids []string, workers int, stmt string) float64 {
	var (
		n     atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i++ {
				id := ids[i%len(ids)]
				l, err := r.Lease(tenant.NewContext(ctx, id), id)
				if err == nil {
					_, err = l.DB().ExecContext(ctx, stmt)
					l.Release()
				}
				if err != nil {
					if !ended(ctx) {
						once.Do(func() { first = fmt.Errorf("tenant %s: %w", id, err) })
					}
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
	return float64(n.Load()) / time.Since(start).Seconds()
}

// ended reports whether ctx is done or past its deadline: a dial given
// the deadline can time out a moment before the context says so.
func ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// BenchmarkNoisyServer measures the throughput of 4 workers on tenants
// of one server while 32 workers keep a tenant of another server busy
// (50 ms statements), next to the same workers with that server idle:
// with one budget of 8 connections for both servers, and with a budget
// of 8 per server (MaxConnsPerServer). It reports the quiet tenants'
// share of their idle-neighbour throughput in each case. Run it with
// -benchtime=1x.
func BenchmarkNoisyServer(b *testing.B) {
	dbs1 := testenv.Databases(b, 2)
	dbs2 := testenv.DatabasesOn(b, testenv.Postgres2URL(b), 2)
	const d = 3 * time.Second
	for b.Loop() {
		for _, v := range []struct {
			name string
			cfg  resolver.Config
		}{
			{"one-budget", resolver.Config{MaxConns: 8}},
			{"per-server", resolver.Config{MaxConnsPerServer: 8}},
		} {
			quiet := []string{"quiet-0", "quiet-1"}
			// Alone: a resolver of its own, warmed up.
			r := noisyServers(b, v.cfg, dbs1, dbs2)
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			loop(ctx, b, r, quiet, 4, "SELECT 1")
			cancel()
			ctx, cancel = context.WithTimeout(context.Background(), d)
			alone := loop(ctx, b, r, quiet, 4, "SELECT 1")
			cancel()
			_ = r.Close()
			// Shared: the noisy tenants first, then the quiet ones.
			r = noisyServers(b, v.cfg, dbs1, dbs2)
			nctx, ncancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { loop(nctx, b, r, []string{"noisy-0", "noisy-1"}, 32, "SELECT pg_sleep(0.05)") })
			for r.Stats().BudgetWaits == 0 && v.name == "one-budget" {
				time.Sleep(10 * time.Millisecond) // until the noisy tenants spent the budget
			}
			time.Sleep(500 * time.Millisecond)
			ctx, cancel = context.WithTimeout(context.Background(), 500*time.Millisecond)
			loop(ctx, b, r, quiet, 4, "SELECT 1")
			cancel()
			ctx, cancel = context.WithTimeout(context.Background(), d)
			shared := loop(ctx, b, r, quiet, 4, "SELECT 1")
			cancel()
			ncancel()
			wg.Wait()
			_ = r.Close()
			b.Logf("%s: quiet tenants %.0f q/s alone, %.0f q/s next to the noisy server: %.2f", v.name, alone, shared, shared/alone)
			b.ReportMetric(shared/alone, v.name+"-share")
		}
	}
}
