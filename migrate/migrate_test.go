package migrate_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/reserved"
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
	if len(report.Results) != 4 || report.Results[0].Tenant != "reserved:default" {
		t.Fatalf("results = %+v", report.Results)
	}
	central := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Migrator()
	if !central.HasTable(&Hospital{}) || central.HasTable(&Patient{}) {
		t.Fatal("central must have hospitals only")
	}
	for _, id := range e.Tenants {
		// Asked through the plugin, "hospitals" would be looked up where
		// the strategies send it: ask the tenant's database itself.
		var tables []string
		rows, err := e.OpenTenantDB(t, id).Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
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

func TestRunReportsEachFailure(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 3})
	boom := errors.New("boom")
	report, err := migrate.Run(context.Background(), e.DB, append(e.Tenants, "missing"), func(ctx context.Context, db *gorm.DB) error {
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
}
