package tenantotel_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"github.com/glebarez/sqlite"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	otelgorm "gorm.io/plugin/opentelemetry/tracing"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	tenantotel "github.com/tenantrouter/tenantplugin/otel"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// ExampleMetrics_ObserveRouting exports what the plugin routed and
// refused, and the resolver's pools, to an OpenTelemetry meter provider
// (here with a manual reader; in a service, an OTLP or Prometheus
// exporter's).
func ExampleMetrics_ObserveRouting() {
	dir, _ := os.MkdirTemp("", "tenantotel-example")
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.DiscardHandler)
	db, _ := gorm.Open(sqlite.Open(filepath.Join(dir, "central.db")), &gorm.Config{Logger: logger.Discard})
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	res, _ := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   quiet,
	})
	defer res.Close()
	_ = res.Set(context.Background(), "north", tenantconfig.Database{
		DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, "north.db")},
	})
	_ = db.Use(tenantplugin.New(tenantplugin.Config{Resolver: res, Logger: quiet}))

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	m, err := tenantotel.NewMetrics(mp)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	_ = m.ObserveRouting(db)
	_ = m.ObserveResolver(res)

	north := db.WithContext(tenant.NewContext(context.Background(), "north"))
	_ = north.Exec("CREATE TABLE notes (body text)").Error
	_ = north.Exec("INSERT INTO notes VALUES ('hello')").Error
	_ = db.Exec("INSERT INTO notes VALUES ('lost')").Error // no tenant: refused

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			switch d := mt.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					if p.Value > 0 && (mt.Name == "tenantplugin.statements.routed" || mt.Name == "tenantplugin.statements.refused") {
						kv := p.Attributes.ToSlice()[0]
						lines = append(lines, fmt.Sprintf("%s{%s=%s} %d", mt.Name, kv.Key, kv.Value.String(), p.Value))
					}
				}
			case metricdata.Gauge[int64]:
				if mt.Name == "tenantplugin.pools.open" {
					lines = append(lines, fmt.Sprintf("%s %d", mt.Name, d.DataPoints[0].Value))
				}
			}
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// tenantplugin.pools.open 1
	// tenantplugin.statements.refused{tenantplugin.reason=missing_tenant} 1
	// tenantplugin.statements.routed{tenantplugin.route=tenant} 2
}

// ExampleTracing puts the tenant and the route on the span
// gorm.io/plugin/opentelemetry starts for each statement.
func ExampleTracing() {
	dir, _ := os.MkdirTemp("", "tenantotel-tracing")
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.DiscardHandler)
	db, _ := gorm.Open(sqlite.Open(filepath.Join(dir, "central.db")), &gorm.Config{Logger: logger.Discard})
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	res, _ := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   quiet,
	})
	defer res.Close()
	_ = res.Set(context.Background(), "north", tenantconfig.Database{
		DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, "north.db")},
	})
	_ = db.Use(tenantplugin.New(tenantplugin.Config{Resolver: res, Logger: quiet}))

	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	_ = db.Use(otelgorm.NewPlugin(otelgorm.WithTracerProvider(tp), otelgorm.WithoutMetrics()))
	_ = db.Use(tenantotel.Tracing())

	north := db.WithContext(tenant.NewContext(context.Background(), "north"))
	_ = north.Exec("CREATE TABLE notes (body text)").Error
	var n int64
	_ = north.Table("notes").Count(&n).Error
	for _, s := range spans.Ended() {
		fmt.Print(s.Name(), ":")
		for _, kv := range s.Attributes() {
			if kv.Key == tenantotel.TenantKey || kv.Key == tenantotel.RouteKey {
				fmt.Printf(" %s=%s", kv.Key, kv.Value.String())
			}
		}
		fmt.Println()
	}
	// Output:
	// gorm.Raw: tenant=north tenantplugin.route=tenant
	// select notes: tenant=north tenantplugin.route=tenant
}
