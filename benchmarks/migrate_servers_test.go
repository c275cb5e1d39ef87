package benchmarks

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/resolver"
)

// migrateServerTenants is how many tenants BenchmarkMigrateServers
// migrates, on one server or half on each of two.
const migrateServerTenants = 40

// BenchmarkMigrateServers runs a migration over 40 tenants all on one
// PostgreSQL server, then over 20 on each of two, with a budget of 16
// connections per server: migrate runs an eighth of a server's budget
// (2) of its tenants at once, the servers side by side. Two migrations:
//
//   - wait: each tenant's step waits 20 ms on its server (SELECT
//     pg_sleep(0.02)), as DDL on a server of its own does: the time is
//     the server's, and two servers should take half as long;
//   - models: GORM's AutoMigrate of the example's tenant models (tables
//     dropped between runs, not timed): on this machine both servers
//     and the client share two cores, so it is bound by the CPU, not by
//     the servers.
//
// Each iteration runs both layouts, in each order in turn. Metrics: the
// seconds of each run (one-wait-s, two-wait-s, one-models-s,
// two-models-s) and the speed-ups (one/two).
func BenchmarkMigrateServers(b *testing.B) {
	const half = migrateServerTenants / 2
	dbs1 := testenv.Databases(b, migrateServerTenants+1)
	dbs2 := testenv.DatabasesOn(b, testenv.Postgres2URL(b), half)
	cfg := resolver.Config{MaxConnsPerServer: 16, MaxPools: 64}
	type layout struct {
		db  *gorm.DB
		ids []string
	}
	open := func(r *resolver.Resolver, ids []string) layout {
		db := openPG(b, testenv.DSN(b, dbs1[0]))
		if err := db.Use(tenantplugin.New(tenantplugin.Config{Resolver: r, Logger: fixture.Quiet()})); err != nil {
			b.Fatal(err)
		}
		return layout{db: db, ids: ids}
	}
	var oneIDs, twoIDs []string
	for i := range migrateServerTenants {
		oneIDs = append(oneIDs, fmt.Sprintf("noisy-%d", i))
	}
	for i := range half {
		twoIDs = append(twoIDs, fmt.Sprintf("noisy-%d", i), fmt.Sprintf("quiet-%d", i))
	}
	layouts := [2]layout{
		open(noisyServers(b, cfg, dbs1[1:], nil), oneIDs),
		open(noisyServers(b, cfg, dbs1[1:half+1], dbs2), twoIDs),
	}
	ctx := context.Background()
	models := hospital.TenantModels()
	wait := func(l layout) time.Duration {
		start := time.Now()
		if _, err := migrate.ForEach(ctx, l.db, l.ids, func(ctx context.Context, db *gorm.DB) error {
			return db.Exec("SELECT pg_sleep(0.02)").Error
		}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	migrateModels := func(l layout) time.Duration {
		if _, err := migrate.ForEach(ctx, l.db, l.ids, func(ctx context.Context, db *gorm.DB) error {
			return db.Migrator().DropTable(models...)
		}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := migrate.ForEach(ctx, l.db, l.ids, func(ctx context.Context, db *gorm.DB) error {
			return db.AutoMigrate(models...)
		}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var waits, runs [2]time.Duration
	b.ResetTimer()
	for i := range b.N {
		for k := range 2 {
			l := (i + k) % 2 // each order in turn
			waits[l] += wait(layouts[l])
			runs[l] += migrateModels(layouts[l])
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(waits[0].Seconds()/n, "one-wait-s")
	b.ReportMetric(waits[1].Seconds()/n, "two-wait-s")
	b.ReportMetric(waits[0].Seconds()/waits[1].Seconds(), "wait-speedup")
	b.ReportMetric(runs[0].Seconds()/n, "one-models-s")
	b.ReportMetric(runs[1].Seconds()/n, "two-models-s")
	b.ReportMetric(runs[0].Seconds()/runs[1].Seconds(), "models-speedup")
	b.ReportMetric(0, "ns/op")
}
