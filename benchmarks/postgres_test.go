package benchmarks

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/plugin/dbresolver"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

func openPG(b *testing.B, dsn string) *gorm.DB {
	b.Helper()
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if s, err := db.DB(); err == nil {
			_ = s.Close()
		}
	})
	return db
}

func pgResolver(b *testing.B, maxPools int) *resolver.Resolver {
	b.Helper()
	r, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(b)},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
		MaxPools: maxPools,
		Logger:   fixture.Quiet(),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Close() })
	return r
}

// BenchmarkFirstByPK compares a primary-key First on PostgreSQL over
// loopback through plain GORM, GORM with this plugin, and GORM with
// dbresolver (one source), interleaved query by query so that all three
// see the same machine. It reports each one's median (p50) and p90.
func BenchmarkFirstByPK(b *testing.B) {
	dbs := testenv.Databases(b, 2)
	central, tenantDB := dbs[0], dbs[1]
	seed := openPG(b, testenv.DSN(b, tenantDB))
	if err := seed.AutoMigrate(&Row{}); err != nil {
		b.Fatal(err)
	}
	rows := make([]Row, 1000)
	for i := range rows {
		rows[i].Name = fmt.Sprintf("row-%d", i)
	}
	if err := seed.CreateInBatches(rows, 500).Error; err != nil {
		b.Fatal(err)
	}

	plain := openPG(b, testenv.DSN(b, tenantDB))

	r := pgResolver(b, 10)
	if err := r.Set(context.Background(), "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: tenantDB}}); err != nil {
		b.Fatal(err)
	}
	plugin := openPG(b, testenv.DSN(b, central))
	if err := plugin.Use(tenantplugin.New(tenantplugin.Config{Resolver: r, Logger: fixture.Quiet()})); err != nil {
		b.Fatal(err)
	}

	resolved := openPG(b, testenv.DSN(b, central))
	if err := resolved.Use(dbresolver.Register(dbresolver.Config{
		Sources: []gorm.Dialector{postgres.Open(testenv.DSN(b, tenantDB))},
	})); err != nil {
		b.Fatal(err)
	}

	ctx := tenant.NewContext(context.Background(), "acme")
	modes := []struct {
		name string
		db   *gorm.DB
	}{
		{"plain", plain.WithContext(ctx)},
		{"plugin", plugin.WithContext(ctx)},
		{"dbresolver", resolved.WithContext(ctx)},
	}
	for _, m := range modes {
		var where string
		if err := m.db.Raw("SELECT current_database()").Scan(&where).Error; err != nil || where != tenantDB {
			b.Fatalf("%s queries %q (%v), want %q", m.name, where, err, tenantDB)
		}
		for i := range 300 { // warm the pools and the statement caches
			var row Row
			if err := m.db.First(&row, 1+i%1000).Error; err != nil {
				b.Fatal(err)
			}
		}
	}
	lat := make([][]time.Duration, len(modes))
	o := newOrders(len(modes))
	b.ResetTimer()
	i := 0
	for b.Loop() {
		for _, k := range o.next() {
			var row Row
			start := time.Now()
			if err := modes[k].db.First(&row, 1+i%1000).Error; err != nil {
				b.Fatal(err)
			}
			lat[k] = append(lat[k], time.Since(start))
		}
		i++
	}
	b.StopTimer()
	for k, m := range modes {
		b.ReportMetric(percentile(lat[k], 50), m.name+"-p50-us")
		b.ReportMetric(percentile(lat[k], 90), m.name+"-p90-us")
	}
	// Paired differences: the same iteration's queries, run back to back,
	// share the machine's state; their median difference is the cost of
	// the plugin with most of the noise taken out.
	b.ReportMetric(pairedMedian(lat[1], lat[0]), "plugin-minus-plain-us")
	b.ReportMetric(pairedMedian(lat[1], lat[2]), "plugin-minus-dbresolver-us")
}

// pairedMedian returns the median of a[i]-b[i], in microseconds.
func pairedMedian(a, b []time.Duration) float64 {
	d := make([]time.Duration, min(len(a), len(b)))
	for i := range d {
		d[i] = a[i] - b[i]
	}
	return percentile(d, 50)
}

// BenchmarkColdTenant measures the first query to a tenant whose pool is
// not open: pool open, connection, query.
func BenchmarkColdTenant(b *testing.B) {
	coldTenant(b, testenv.PostgresURL(b))
}

// BenchmarkColdTenantPgBouncer is BenchmarkColdTenant with the tenant's
// database reached through PgBouncer in transaction mode (declared with
// pgbouncer=transaction, simple protocol): the connection is the
// bouncer's, whose server connections stay open between tenants' pools.
func BenchmarkColdTenantPgBouncer(b *testing.B) {
	coldTenant(b, testenv.PgBouncer(b)+"&pgbouncer=transaction&default_query_exec_mode=simple_protocol")
}

// coldTenant measures the first query to tenants whose pools are not
// open, with tmplDSN as the resolver's template.
func coldTenant(b *testing.B, tmplDSN string) {
	dbs := testenv.Databases(b, 2)
	central, tenantDB := dbs[0], dbs[1]
	seed := openPG(b, testenv.DSN(b, tenantDB))
	if err := seed.AutoMigrate(&Row{}); err != nil {
		b.Fatal(err)
	}
	if err := seed.Create(&Row{Name: "x"}).Error; err != nil {
		b.Fatal(err)
	}
	r, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: tmplDSN},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
		MaxPools: 8,
		Logger:   fixture.Quiet(),
		// Every cold tenant on one database.
		AllowSharedDatabases: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Close() })
	db := openPG(b, testenv.DSN(b, central))
	if err := db.Use(tenantplugin.New(tenantplugin.Config{Resolver: r, Logger: fixture.Quiet()})); err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		id := fmt.Sprintf("cold-%d", n)
		n++
		if err := r.Set(context.Background(), id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: tenantDB}}); err != nil {
			b.Fatal(err)
		}
		ctx := tenant.NewContext(context.Background(), id)
		b.StartTimer()
		start := time.Now()
		var row Row
		if err := db.WithContext(ctx).First(&row).Error; err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.ReportMetric(percentile(lat, 50), "cold-p50-us")
	b.ReportMetric(percentile(lat, 90), "cold-p90-us")
}

func percentile(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[(len(s)-1)*p/100]) / float64(time.Microsecond)
}
