package benchmarks

import (
	"context"
	"database/sql/driver"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/memdriver"
	"github.com/tenantrouter/tenantplugin/resolver"
)

type Row struct {
	ID   uint
	Name string
}

// memDriver opens every tenant on the in-memory driver.
type memDriver struct{}

func (memDriver) Name() string { return "memory" }
func (memDriver) Connector(string, resolver.DBConfig) (driver.Connector, error) {
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
// of 100 tenants.
func BenchmarkRouting(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		db := memGorm(b).WithContext(tenantplugin.NewContext(context.Background(), "t042"))
		runFirst(b, db)
	})
	b.Run("plugin", func(b *testing.B) {
		r, err := resolver.New(resolver.Config{
			Template: resolver.Template{Driver: "memory"},
			Drivers:  []resolver.Driver{memDriver{}},
			Logger:   fixture.Quiet(),
		})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		for i := range 100 {
			id := tenantID(i)
			if err := r.Set(context.Background(), id, resolver.TenantConfig{DBConfig: resolver.DBConfig{Name: id}}); err != nil {
				b.Fatal(err)
			}
		}
		db := memGorm(b)
		if err := db.Use(tenantplugin.New(tenantplugin.Config{Resolver: r, Logger: fixture.Quiet()})); err != nil {
			b.Fatal(err)
		}
		runFirst(b, db.WithContext(tenantplugin.NewContext(context.Background(), "t042")))
	})
}

func runFirst(b *testing.B, db *gorm.DB) {
	var row Row
	if err := db.First(&row, 1).Error; err != nil || row.Name != "x" {
		b.Fatalf("First: %v %+v", err, row)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var row Row
		if err := db.First(&row, 1).Error; err != nil {
			b.Fatal(err)
		}
	}
}

func tenantID(i int) string {
	return "t" + string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
}
