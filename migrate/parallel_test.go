package migrate_test

import (
	"context"
	"testing"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/migrate"
)

// TestParallelMigrationSharesNothing: tenants migrated at once do not
// share GORM's parsed schemas, which its migrator writes to (a unique
// index marks its field): under -race, migrating the example's models,
// whose names and emails are unique, on many tenants at once must not
// race.
func TestParallelMigrationSharesNothing(t *testing.T) {
	for _, backend := range []fixture.Backend{fixture.SQLite, fixture.Postgres} {
		t.Run(string(backend), func(t *testing.T) {
			e := fixture.New(t, backend, fixture.Options{Tenants: 12, Strategies: []tenantplugin.Strategy{hospital.Strategy()}})
			report, err := migrate.AutoMigrate(context.Background(), e.DB, e.Tenants, hospital.Models(), migrate.WithParallel(6))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range report.Results {
				if r.Status != migrate.StatusMigrated {
					t.Fatalf("%+v", r)
				}
			}
			for _, id := range e.Tenants {
				var n int
				q := "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('idx_hospitals_name', 'idx_patients_email')"
				if backend == fixture.Postgres {
					q = "SELECT count(*) FROM pg_indexes WHERE indexname IN ('idx_hospitals_name', 'idx_patients_email')"
				}
				if err := e.OpenTenantDB(t, id).QueryRow(q).Scan(&n); err != nil || n != 2 {
					t.Fatalf("%s: %d unique indexes (%v), want 2", id, n, err)
				}
			}
		})
	}
}
