package benchmarks

import (
	"context"
	"database/sql"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/migrate"
)

// migrateTenants is how many tenant databases BenchmarkMigrateAll
// migrates.
const migrateTenants = 200

// BenchmarkMigrateAll migrates the example's models across 200 tenant
// databases on one PostgreSQL server, one tenant at a time and then as
// many at once as the resolver's default budget allows, and re-runs the
// migration with nothing to apply. Between two full migrations the
// tenants' tables and ledgers are dropped and their catalogs vacuumed
// (not timed). Each iteration runs both variants, in each order in turn,
// so that they share the machine's noise.
//
// Metrics: seq-s and par-s (full migration), speedup (seq/par),
// rerun-ms (nothing to apply, default parallelism), parallel (the
// default from the budget).
func BenchmarkMigrateAll(b *testing.B) {
	names := testenv.Databases(b, migrateTenants+1)
	l := newBudgetLoad(b, names[0], names[1:], 0)
	admin := make([]*sql.DB, migrateTenants)
	for i, name := range names[1:] {
		db, err := sql.Open("pgx", testenv.DSN(b, name))
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		b.Cleanup(func() { _ = db.Close() })
		admin[i] = db
	}
	ctx := context.Background()
	models := hospital.TenantModels()
	// Dropping and creating tables leaves dead rows in each database's
	// catalog, which the autovacuum would clean during the next run:
	// the reset vacuums them, so that each run starts alike.
	reset := func() {
		for _, db := range admin {
			if _, err := db.Exec("DROP TABLE IF EXISTS hospitals, patients, " + migrate.LedgerTable); err != nil {
				b.Fatal(err)
			}
			if _, err := db.Exec("VACUUM"); err != nil {
				b.Fatal(err)
			}
		}
	}
	full := func(opts ...migrate.Option) time.Duration {
		reset()
		start := time.Now()
		if _, err := migrate.AutoMigrate(ctx, l.db, l.ids, models, opts...); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var seq, par, rerun time.Duration
	b.ResetTimer()
	for i := range b.N {
		// Each order in turn.
		if i%2 == 0 {
			seq += full(migrate.WithParallel(1))
			par += full()
		} else {
			par += full()
			seq += full(migrate.WithParallel(1))
		}
		start := time.Now()
		report, err := migrate.AutoMigrate(ctx, l.db, l.ids, models)
		if err != nil {
			b.Fatal(err)
		}
		rerun += time.Since(start)
		for _, r := range report.Results {
			if r.Status != migrate.StatusUpToDate {
				b.Fatalf("re-run: %s %v", r.Tenant, r.Status)
			}
		}
	}
	b.StopTimer()
	parallel := defaultParallelOf(b, l)
	n := float64(b.N)
	b.ReportMetric(seq.Seconds()/n, "seq-s")
	b.ReportMetric(par.Seconds()/n, "par-s")
	b.ReportMetric(seq.Seconds()/par.Seconds(), "speedup")
	b.ReportMetric(float64(rerun.Milliseconds())/n, "rerun-ms")
	b.ReportMetric(float64(parallel), "parallel")
	b.ReportMetric(0, "ns/op")
}

// defaultParallelOf counts how many tenants a run with the default
// parallelism runs at once.
func defaultParallelOf(b *testing.B, l budgetLoad) int32 {
	var running, most atomic.Int32
	_, err := migrate.ForEach(context.Background(), l.db, l.ids[:40], func(context.Context, *gorm.DB) error {
		now := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
		}
		time.Sleep(5 * time.Millisecond)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return most.Load()
}
