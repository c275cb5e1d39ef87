package tenantotel_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/migrate"
	tenantotel "github.com/tenantrouter/tenantplugin/otel"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// TestMigrateLog: each database's result is logged once, with the
// tenant as the attribute "tenant", at a level by status.
func TestMigrateLog(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 2})
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	boom := errors.New("boom")
	_, err := migrate.ForEach(context.Background(), e.DB, e.Tenants, func(ctx context.Context, _ *gorm.DB) error {
		if id, _ := tenant.FromContext(ctx); id == "t01" {
			return boom
		}
		return nil
	}, migrate.WithParallel(1), migrate.WithProgress(tenantotel.MigrateLog(l)))
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`level=INFO msg="migration result" tenant=t00 status=migrated`,
		`level=WARN msg="migration result" tenant=t01 status=failed error=boom`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("logged:\n%s\nwant:\n%s", buf.String(), strings.Join(want, "\n"))
	}
}

// TestMigrateProgressReserved: an Apply whose step has a reserved
// model: the reserved database's result is counted and logged under its
// alias, the tenants' under their ids; MigrateProgress calls next with
// each result.
func TestMigrateProgressReserved(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 2, Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Plan{})}})
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	m, err := tenantotel.NewMetrics(mp)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" || a.Key == "detail" {
				return slog.Attr{}
			}
			return a
		},
	}))
	if _, err := migrate.Apply(context.Background(), e.DB, e.Tenants, migrate.Models(&Note{}, &Plan{}),
		migrate.WithParallel(1), m.MigrateProgress(tenantotel.MigrateLog(l))); err != nil {
		t.Fatal(err)
	}
	results := series{
		"tenantplugin.alias=default,tenantplugin.status=migrated": 1,
		"tenant=t00,tenantplugin.status=migrated":                 1,
		"tenant=t01,tenantplugin.status=migrated":                 1,
	}
	expect(t, collect(t, reader), map[string]series{"tenantplugin.migrate.results": results, "tenantplugin.migrate.duration": results})
	want := []string{
		`level=INFO msg="migration result" alias=default status=migrated`,
		`level=INFO msg="migration result" tenant=t00 status=migrated`,
		`level=INFO msg="migration result" tenant=t01 status=migrated`,
	}
	if got := strings.TrimSpace(buf.String()); got != strings.Join(want, "\n") {
		t.Fatalf("logged:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
