package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
)

type Hospital struct {
	ID   uint
	Name string
}

type Patient struct {
	ID         uint
	Name       string
	HospitalID uint
	Hospital   Hospital // central: never migrated on a tenant
}

func TestAutoMigrateSplitsModels(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{
		Tenants:    3,
		Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Hospital{})},
	})
	report, err := migrate.AutoMigrate(context.Background(), e.DB, e.Tenants, []any{&Hospital{}, &Patient{}}, migrate.WithParallel(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Results) != 4 || report.Results[0] != (migrate.Result{Reserved: tenantplugin.DefaultAlias, Status: migrate.StatusMigrated, Duration: report.Results[0].Duration}) {
		t.Fatalf("results = %+v, want the reserved database first", report.Results)
	}
	for i, id := range e.Tenants {
		if r := report.Results[i+1]; r.Tenant != id || r.Reserved != "" {
			t.Fatalf("result %d = %+v, want tenant %s", i+1, r, id)
		}
	}
	central := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Migrator()
	if !central.HasTable(&Hospital{}) || central.HasTable(&Patient{}) {
		t.Fatal("central must have hospitals only")
	}
	for _, id := range e.Tenants {
		// Asked through the plugin, "hospitals" would be looked up where
		// the strategies send it: ask the tenant's database itself.
		var tables []string
		rows, err := e.OpenTenantDB(t, id).Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != ? ORDER BY name", migrate.LedgerTable)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			tables = append(tables, name)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(tables) != 1 || tables[0] != "patients" {
			t.Fatalf("tenant %s has tables %v, want patients only", id, tables)
		}
	}
}

func TestForEachReportsEachFailure(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 3})
	boom := errors.New("boom")
	report, err := migrate.ForEach(context.Background(), e.DB, append(e.Tenants, "missing"), func(ctx context.Context, db *gorm.DB) error {
		if id, _ := tenant.FromContext(ctx); id == e.Tenants[1] {
			return boom
		}
		return db.Exec("SELECT 1").Error
	})
	if !errors.Is(err, boom) || !errors.Is(err, tenant.ErrUnknown) {
		t.Fatalf("err = %v, want boom and unknown tenant", err)
	}
	failed := report.Failed()
	if len(failed) != 2 || failed[0].Tenant != e.Tenants[1] || failed[1].Tenant != "missing" {
		t.Fatalf("failed = %+v", failed)
	}
	for _, r := range report.Results {
		if r.Reserved != "" {
			t.Fatalf("result %+v names a reserved database", r)
		}
	}
}

// TestAutoMigrateNamesFailedReservedDatabase: a reserved database that
// fails is reported under Reserved, and the error names its alias, not a
// tenant.
func TestAutoMigrateNamesFailedReservedDatabase(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{
		Tenants:    2,
		Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Hospital{})},
	})
	// A view takes the table's name: creating the table fails.
	if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Exec("CREATE VIEW hospitals AS SELECT 1 AS id").Error; err != nil {
		t.Fatal(err)
	}
	report, err := migrate.AutoMigrate(context.Background(), e.DB, e.Tenants, []any{&Hospital{}, &Patient{}})
	if err == nil || !strings.Contains(err.Error(), `migrate: reserved database "default": `) {
		t.Fatalf("err = %v, want one naming the reserved database", err)
	}
	var te *tenant.Error
	if errors.As(err, &te) {
		t.Fatalf("err = %v holds a tenant error for %q", err, te.ID)
	}
	failed := report.Failed()
	if len(failed) != 1 || failed[0].Reserved != tenantplugin.DefaultAlias || failed[0].Tenant != "" {
		t.Fatalf("failed = %+v, want the reserved database only", failed)
	}
}

// TestForEachRefusesBadOption: an invalid option is refused, named in
// the error, and fn runs for no tenant.
func TestForEachRefusesBadOption(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 2})
	tests := []struct {
		name string
		opts []migrate.Option
		want string
	}{
		{"minus one", []migrate.Option{migrate.WithParallel(-1)}, "migrate: WithParallel(-1): "},
		{"negative", []migrate.Option{migrate.WithParallel(-7)}, "migrate: WithParallel(-7): "},
		{"after a good one", []migrate.Option{migrate.WithParallel(2), migrate.WithParallel(-2)}, "migrate: WithParallel(-2): "},
		{"nil", []migrate.Option{migrate.WithParallel(2), nil}, "migrate: option 1 is nil"},
		{"nil progress", []migrate.Option{migrate.WithProgress(nil)}, "migrate: WithProgress(nil): "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			report, err := migrate.ForEach(context.Background(), e.DB, e.Tenants, func(context.Context, *gorm.DB) error {
				calls.Add(1)
				return nil
			}, tt.opts...)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to start with %q", err, tt.want)
			}
			if report != nil || calls.Load() != 0 {
				t.Fatalf("report = %+v after %d calls, want nil and none", report, calls.Load())
			}
		})
	}
}

// TestWithParallel: 0 runs as many tenants at once as the resolver's
// budget allows, n runs n at once and never more.
func TestWithParallel(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 6})
	tests := []struct {
		n, want int
	}{
		// The fixture's resolver has the default budget.
		{0, min(migrate.DefaultParallel, resolver.DefaultMaxPools/4, resolver.DefaultMaxConns/8)},
		{1, 1},
		{3, 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			var active, most, entered atomic.Int32
			// The first want tenants wait for each other: with fewer slots
			// than want they would wait until ctx ends.
			all := make(chan struct{})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := migrate.ForEach(ctx, e.DB, e.Tenants, func(ctx context.Context, db *gorm.DB) error {
				now := active.Add(1)
				defer active.Add(-1)
				for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
				}
				if k := entered.Add(1); k <= int32(tt.want) {
					if k == int32(tt.want) {
						close(all)
					}
					select {
					case <-all:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				return db.Exec("SELECT 1").Error
			}, migrate.WithParallel(tt.n))
			if err != nil {
				t.Fatal(err)
			}
			if got := most.Load(); got != int32(tt.want) {
				t.Fatalf("%d tenants ran at once, want %d", got, tt.want)
			}
		})
	}
}

// TestAutoMigrateRefusesBadOptionFirst: an invalid option is refused
// before any database is touched, reserved ones included.
func TestAutoMigrateRefusesBadOptionFirst(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{
		Tenants:    2,
		Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Hospital{})},
	})
	before := e.Counter.Total()
	report, err := migrate.AutoMigrate(context.Background(), e.DB, e.Tenants, []any{&Hospital{}, &Patient{}}, migrate.WithParallel(-2))
	if err == nil || !strings.Contains(err.Error(), "migrate: WithParallel(-2)") {
		t.Fatalf("err = %v, want one naming WithParallel(-2)", err)
	}
	if report != nil {
		t.Fatalf("report = %+v, want nil", report)
	}
	if n := e.Counter.Total() - before; n != 0 {
		t.Fatalf("%d statements sent: %s", n, e.Counter)
	}
}
