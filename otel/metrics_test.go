package tenantotel_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/migrate"
	tenantotel "github.com/tenantrouter/tenantplugin/otel"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// Note is a tenant model.
type Note struct {
	ID   uint
	Body string
}

// Plan is a central model.
type Plan struct {
	ID   uint
	Name string
}

// backends returns SQLite, and PostgreSQL when the test server is there
// (and it must be under scripts/test.sh).
func backends(t *testing.T) []fixture.Backend {
	t.Helper()
	bs := []fixture.Backend{fixture.SQLite}
	if os.Getenv(testenv.EnvPG) != "" || testenv.Required() {
		bs = append(bs, fixture.Postgres)
	} else {
		t.Logf("PostgreSQL part skipped: %s not set (scripts/test.sh sets it)", testenv.EnvPG)
	}
	return bs
}

// series maps a data point's attributes ("k=v,k=v", sorted) to its
// value; a histogram's to its count.
type series map[string]float64

// collect reads every metric of the package's scope.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]series {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]series{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != tenantotel.ScopeName {
			t.Fatalf("scope %q, want %q", sm.Scope.Name, tenantotel.ScopeName)
		}
		for _, m := range sm.Metrics {
			s := series{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if !d.IsMonotonic || d.Temporality != metricdata.CumulativeTemporality {
					t.Errorf("%s: monotonic %v, %v; want a cumulative counter", m.Name, d.IsMonotonic, d.Temporality)
				}
				for _, p := range d.DataPoints {
					s[attrs(p.Attributes)] = float64(p.Value)
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					s[attrs(p.Attributes)] = p.Value
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					s[attrs(p.Attributes)] = float64(p.Value)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					s[attrs(p.Attributes)] = float64(p.Count)
				}
			default:
				t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
			}
			out[m.Name] = s
		}
	}
	return out
}

func attrs(set attribute.Set) string {
	var parts []string
	for _, kv := range set.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// expect checks the named metrics against want, exactly.
func expect(t *testing.T, got map[string]series, want map[string]series) {
	t.Helper()
	for name, w := range want {
		if g := got[name]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got  %v\n want %v", name, g, w)
		}
	}
}

// TestMetrics sends known traffic through the plugin and reads the
// exported metrics with the SDK's manual reader: 5 statements to tenant
// t00, 3 to the reserved default, 2 refused without a tenant, t00's one
// connection held by a transaction while t01 waits for the connection
// budget (1) until its deadline, then a ForEach over both tenants where
// t01 fails. Each number is checked exactly, per tenant and with
// WithoutTenantLabels.
func TestMetrics(t *testing.T) {
	for _, b := range backends(t) {
		for _, perTenant := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/perTenant=%v", b, perTenant), func(t *testing.T) { testMetrics(t, b, perTenant) })
		}
	}
}

func testMetrics(t *testing.T, b fixture.Backend, perTenant bool) {
	e := fixture.New(t, b, fixture.Options{
		Tenants:    2,
		Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Plan{})},
		Gorm:       gorm.Config{SkipDefaultTransaction: true},
		Resolver:   resolver.Config{MaxConns: 1},
	})
	// The tables are made around the plugin, so that it counts only the
	// traffic below.
	id := "INTEGER PRIMARY KEY"
	if b == fixture.Postgres {
		id = "bigserial PRIMARY KEY"
	}
	for _, tid := range e.Tenants {
		if _, err := e.OpenTenantDB(t, tid).Exec("CREATE TABLE notes (id " + id + ", body text)"); err != nil {
			t.Fatal(err)
		}
	}
	central, err := e.DB.DB()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := central.Exec("CREATE TABLE plans (id " + id + ", name text)"); err != nil {
		t.Fatal(err)
	}

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	var opts []tenantotel.Option
	if !perTenant {
		opts = append(opts, tenantotel.WithoutTenantLabels())
	}
	m, err := tenantotel.NewMetrics(mp, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	if err := m.ObserveRouting(e.DB); err != nil {
		t.Fatal(err)
	}
	if err := m.ObserveResolver(e.Resolver); err != nil {
		t.Fatal(err)
	}

	db := e.DB.WithContext(e.Ctx("t00"))
	var (
		note  Note
		notes []Note
		plans []Plan
		n     int64
	)
	for _, err := range []error{
		db.Create(&Note{Body: "a"}).Error,
		db.Find(&notes).Error,
		db.First(&note).Error,
		db.Model(&Note{}).Count(&n).Error,
		db.Model(&note).Update("body", "b").Error,
		db.Create(&Plan{Name: "p"}).Error,
		db.Find(&plans).Error,
		db.Model(&Plan{}).Count(&n).Error,
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range []error{e.DB.Find(&notes).Error, e.DB.First(&note).Error} {
		if !errors.Is(err, tenant.ErrMissing) {
			t.Fatalf("without a tenant: %v", err)
		}
	}
	tx := db.Begin()
	if tx.Error != nil {
		t.Fatal(tx.Error)
	}
	defer tx.Rollback()
	if err := tx.Find(&notes).Error; err != nil { // the connection is taken now
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(e.Ctx("t01"), 100*time.Millisecond)
	defer cancel()
	if err := e.DB.WithContext(wctx).Find(&notes).Error; !errors.Is(err, resolver.ErrConnBudget) {
		t.Fatalf("t01 with the budget spent: %v", err)
	}

	// Per tenant, or summed over the tenants.
	tenantSeries := func(per map[string]float64, attr string) series {
		s := series{}
		for id, v := range per {
			k := attr
			if perTenant {
				k = strings.Trim("tenant="+id+","+attr, ",")
			}
			s[k] += v
		}
		return s
	}
	want := map[string]series{
		"tenantplugin.statements.routed": {
			// 5, the transaction's statement, and t01's that then waited.
			"tenantplugin.route=tenant":                              7,
			"tenantplugin.alias=default,tenantplugin.route=reserved": 3,
		},
		"tenantplugin.statements.refused": {
			"tenantplugin.reason=missing_tenant": 2, "tenantplugin.reason=unknown_tenant": 0,
			"tenantplugin.reason=invalid_tenant": 0, "tenantplugin.reason=unknown_alias": 0,
			"tenantplugin.reason=cross_database": 0, "tenantplugin.reason=bypassed_routing": 0,
			"tenantplugin.reason=unreadable_sql": 0, "tenantplugin.reason=other": 0,
		},
		"tenantplugin.tenants":            {"": 2},
		"tenantplugin.pools.open":         {"": 2},
		"tenantplugin.pools.limit":        {"": resolver.DefaultMaxPools},
		"tenantplugin.pools.opened":       {"": 2},
		"tenantplugin.pools.closed":       {"": 0},
		"tenantplugin.pools.evicted":      {"": 0},
		"tenantplugin.pools.swapped":      {"": 0},
		"tenantplugin.budget.connections": {"": 1},
		"tenantplugin.budget.limit":       {"": 1},
		"tenantplugin.budget.waits":       {"": 1},
		"tenantplugin.pool.connections": merge(
			tenantSeries(map[string]float64{"t00": 1, "t01": 0}, "tenantplugin.state=used"),
			tenantSeries(map[string]float64{"t00": 0, "t01": 0}, "tenantplugin.state=idle")),
		"tenantplugin.pool.waits":     tenantSeries(map[string]float64{"t00": 0, "t01": 0}, ""),
		"tenantplugin.pool.wait_time": tenantSeries(map[string]float64{"t00": 0, "t01": 0}, ""),
	}
	if perTenant {
		want["tenantplugin.pool.budget_waits"] = series{"tenant=t00": 0, "tenant=t01": 1}
	}
	got := collect(t, reader)
	expect(t, got, want)
	if _, ok := got["tenantplugin.pool.budget_waits"]; ok != perTenant {
		t.Errorf("tenantplugin.pool.budget_waits reported: %v, want %v", ok, perTenant)
	}
	for _, name := range []string{"tenantplugin.sync.applied", "tenantplugin.migrate.results"} {
		if _, ok := got[name]; ok {
			t.Errorf("%s reported before anything was recorded", name)
		}
	}
	if err := tx.Rollback().Error; err != nil {
		t.Fatal(err)
	}

	// A run over both tenants where t01 fails.
	boom := errors.New("boom")
	_, err = migrate.ForEach(context.Background(), e.DB, e.Tenants, func(ctx context.Context, _ *gorm.DB) error {
		if id, _ := tenant.FromContext(ctx); id == "t01" {
			return boom
		}
		return nil
	}, m.MigrateProgress(nil), migrate.WithParallel(1))
	if !errors.Is(err, boom) {
		t.Fatalf("ForEach: %v", err)
	}
	results := tenantSeries(map[string]float64{"t00": 1}, "tenantplugin.status=migrated")
	for k, v := range tenantSeries(map[string]float64{"t01": 1}, "tenantplugin.status=failed") {
		results[k] = v
	}
	got = collect(t, reader)
	expect(t, got, map[string]series{"tenantplugin.migrate.results": results, "tenantplugin.migrate.duration": results})

	// Closed: the observed sources are no longer read.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	got = collect(t, reader)
	for _, name := range []string{"tenantplugin.statements.routed", "tenantplugin.pools.open"} {
		if _, ok := got[name]; ok {
			t.Errorf("%s still reported after Close", name)
		}
	}
	if err := m.ObserveResolver(e.Resolver); !errors.Is(err, tenantotel.ErrClosed) {
		t.Errorf("ObserveResolver after Close: %v, want ErrClosed", err)
	}
}

func merge(ss ...series) series {
	out := series{}
	for _, s := range ss {
		for k, v := range s {
			out[k] += v
		}
	}
	return out
}
