package tenantotel_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	tenantotel "github.com/tenantrouter/tenantplugin/otel"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

func sqliteTenant(dir, name string) tenantconfig.Config {
	return tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, name)}}},
	}}
}

// TestSyncMetrics: a watcher boots with 2 tenants, applies an announced
// third, refuses a bad change (no database for the service), and refuses
// it again at a resync; the metrics say so exactly, and the event lag
// histogram holds the one change applied from an announcement.
func TestSyncMetrics(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store := memstore.New()
	put := func(id string, cfg tenantconfig.Config) {
		t.Helper()
		if _, err := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: cfg}); err != nil {
			t.Fatal(err)
		}
	}
	put("a", sqliteTenant(dir, "a.db"))
	put("b", sqliteTenant(dir, "b.db"))
	res, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   fixture.Quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Close() }()

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(ctx) }()
	m, err := tenantotel.NewMetrics(mp)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	s, err := tenantsync.Start(ctx, store, res, m.EventLag(), tenantsync.WithResyncInterval(-1), tenantsync.WithLogger(fixture.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	if err := m.ObserveSyncer(s); err != nil {
		t.Fatal(err)
	}
	if err := m.ObserveSyncer(s); err == nil {
		t.Fatal("a second ObserveSyncer was accepted")
	}

	put("c", sqliteTenant(dir, "c.db"))
	waitFor(t, "c applied", func() bool { return s.Stats().Applied == 3 })
	put("a", tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{}})
	waitFor(t, "bad change refused", func() bool { return s.Stats().Refused == 1 })
	s.Resync()
	waitFor(t, "resync", func() bool { return s.Stats().Resyncs == 2 })

	got := collect(t, reader)
	expect(t, got, map[string]series{
		"tenantplugin.sync.tenants":     {"": 3},
		"tenantplugin.sync.applied":     {"": 3},
		"tenantplugin.sync.refused":     {"": 2},
		"tenantplugin.sync.stale":       {"": 0},
		"tenantplugin.sync.resyncs":     {"": 2},
		"tenantplugin.sync.empty_store": {"": 0},
		"tenantplugin.sync.corrected":   {"": 0},
		"tenantplugin.sync.version":     {"": 3}, // c's; the refused change (4) was not applied
		"tenantplugin.sync.event_lag":   {"": 1},
	})
	if _, ok := got["tenantplugin.statements.routed"]; ok {
		t.Error("routing metrics reported without ObserveRouting")
	}
}

// waitFor polls ok, for what a watcher does on its own goroutine.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestBadInputChangesNothing: every constructor and Observe method
// refuses what it cannot use, with an error that says what.
func TestBadInputChangesNothing(t *testing.T) {
	mp := sdkmetric.NewMeterProvider()
	defer func() { _ = mp.Shutdown(context.Background()) }()
	if _, err := tenantotel.NewMetrics(nil); err == nil || err.Error() != "tenantotel: nil MeterProvider" {
		t.Errorf("NewMetrics(nil) = %v", err)
	}
	if _, err := tenantotel.NewMetrics((*sdkmetric.MeterProvider)(nil)); err == nil {
		t.Error("NewMetrics(typed nil) accepted")
	}
	if _, err := tenantotel.NewMetrics(mp, nil); err == nil || err.Error() != "tenantotel: option 0 is nil" {
		t.Errorf("NewMetrics(mp, nil) = %v", err)
	}
	m, err := tenantotel.NewMetrics(mp)
	if err != nil {
		t.Fatal(err)
	}
	plain := fixture.New(t, fixture.SQLite, fixture.Options{NoPlugin: true})
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1})
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil db", m.ObserveRouting(nil), "tenantotel: ObserveRouting: nil *gorm.DB"},
		{"db without the plugin", m.ObserveRouting(plain.DB), "tenantotel: ObserveRouting: the *gorm.DB has no tenantplugin installed"},
		{"nil resolver", m.ObserveResolver(nil), "tenantotel: ObserveResolver: nil resolver"},
		{"typed nil resolver", m.ObserveResolver((*resolver.Resolver)(nil)), "tenantotel: ObserveResolver: nil resolver"},
		{"nil syncer", m.ObserveSyncer((*tenantsync.Syncer)(nil)), "tenantotel: ObserveSyncer: nil syncer"},
		{"first resolver", m.ObserveResolver(e.Resolver), ""},
		{"second resolver", m.ObserveResolver(e.Resolver), "tenantotel: a resolver is observed already: use one Metrics per resolver"},
	}
	for _, tt := range tests {
		got := ""
		if tt.err != nil {
			got = tt.err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := m.ObserveRouting(e.DB); !errors.Is(err, tenantotel.ErrClosed) {
		t.Errorf("ObserveRouting after Close: %v", err)
	}
}
