package benchmarks

import (
	"context"
	"database/sql/driver"
	"fmt"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/tenantrouter/tenantplugin/internal/memdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

type Row struct {
	ID   uint
	Name string
}

// memDriver opens every tenant on the in-memory driver.
type memDriver struct{}

func (memDriver) Name() string { return "memory" }
func (memDriver) Connector(string, tenantconfig.DataSource) (driver.Connector, error) {
	return memdriver.Connector{}, nil
}

func memGorm(b *testing.B) *gorm.DB {
	b.Helper()
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: memdriver.Open()}),
		&gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkRouting measures what the plugin adds to a primary-key First:
// the same query, the same dialect, on a driver that answers at once.
// "plain" is GORM alone, "plugin" is GORM with the plugin routing to one
// of 100 tenants, "dbresolver" GORM with dbresolver and one source. Each
// iteration runs all three, in an order drawn at random, and times each; it
// reports the means, the plugin's differences, and the allocations.
func BenchmarkRouting(b *testing.B) {
	ctx := tenant.NewContext(context.Background(), "t042")
	plain := memGorm(b).WithContext(ctx)

	routed := routedMem(b)
	resolved := dbresolverMem(b)
	modes := []*gorm.DB{plain, routed.WithContext(ctx), resolved.WithContext(ctx)}

	first := func(db *gorm.DB) {
		var row Row
		if err := db.First(&row, 1).Error; err != nil || row.Name != "x" {
			b.Fatalf("First: %v %+v", err, row)
		}
	}
	for range 1000 {
		for _, m := range modes {
			first(m)
		}
	}
	var allocs [3]float64
	for k, m := range modes {
		allocs[k] = testing.AllocsPerRun(1000, func() { first(m) })
	}

	per := interleave(b, func(int) { first(modes[0]) }, func(int) { first(modes[1]) }, func(int) { first(modes[2]) })
	b.ReportMetric(per[0], "plain-ns/op")
	b.ReportMetric(per[1], "plugin-ns/op")
	b.ReportMetric(per[2], "dbresolver-ns/op")
	b.ReportMetric(per[1]-per[0], "overhead-ns/op")
	b.ReportMetric(per[1]-per[2], "vs-dbresolver-ns/op")
	b.ReportMetric(allocs[0], "plain-allocs/op")
	b.ReportMetric(allocs[1], "plugin-allocs/op")
	b.ReportMetric(allocs[2], "dbresolver-allocs/op")
}

func tenantID(i int) string { return fmt.Sprintf("t%03d", i) }
