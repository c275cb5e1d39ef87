package tenantotel_test

import (
	"context"
	"database/sql/driver"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/memdriver"
	tenantotel "github.com/tenantrouter/tenantplugin/otel"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

type memDriver struct{}

func (memDriver) Name() string { return "memory" }
func (memDriver) Connector(string, tenantconfig.DataSource) (driver.Connector, error) {
	return memdriver.Connector{}, nil
}

// BenchmarkTracing is what the tracing callback adds to a primary-key
// First routed to a tenant, on a driver that answers at once: not
// installed, installed with no span recording, and labelling a
// recording span.
func BenchmarkTracing(b *testing.B) {
	res, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: "memory"},
		Drivers:  []dbdriver.Driver{memDriver{}},
		Logger:   fixture.Quiet(),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = res.Close() }()
	if err := res.Set(context.Background(), "t", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: "t"}}); err != nil {
		b.Fatal(err)
	}
	open := func(tracing bool) *gorm.DB {
		db, err := gorm.Open(postgres.New(postgres.Config{Conn: memdriver.Open()}), &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Use(tenantplugin.New(tenantplugin.Config{Resolver: res, Logger: fixture.Quiet()})); err != nil {
			b.Fatal(err)
		}
		if tracing {
			if err := db.Use(tenantotel.Tracing()); err != nil {
				b.Fatal(err)
			}
		}
		return db
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx := tenant.NewContext(context.Background(), "t")
	recording, span := tp.Tracer("bench").Start(ctx, "request")
	defer span.End()
	for _, bm := range []struct {
		name    string
		tracing bool
		ctx     context.Context
	}{{"without", false, ctx}, {"not recording", true, ctx}, {"recording", true, recording}} {
		db := open(bm.tracing).WithContext(bm.ctx)
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var row struct {
					ID   uint
					Name string
				}
				if err := db.Table("rows").First(&row, 1).Error; err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
