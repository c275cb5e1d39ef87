package migrate_test

import (
	"context"
	"slices"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/migrate"
)

// PatientV2 is Patient with one more column: the models of a newer
// release of the application.
type PatientV2 struct {
	ID         uint
	Name       string
	Email      string
	HospitalID uint
	Hospital   Hospital
}

func (PatientV2) TableName() string { return "patients" }

// TestCheckListsDatabasesBehind: Check lists the tenants whose ledger
// lacks the models' schema (never migrated, or migrated with other
// models), sends each database one read (two without a ledger), and
// changes nothing.
func TestCheckListsDatabasesBehind(t *testing.T) {
	for _, backend := range []fixture.Backend{fixture.SQLite, fixture.Postgres} {
		t.Run(string(backend), func(t *testing.T) {
			e := fixture.New(t, backend, fixture.Options{Tenants: 4, Strategies: centralStrategies()})
			ctx := context.Background()
			v1 := []any{&Hospital{}, &Patient{}}
			v2 := []any{&Hospital{}, &PatientV2{}}
			t00, t01, t02, t03 := e.Tenants[0], e.Tenants[1], e.Tenants[2], e.Tenants[3]
			if _, err := migrate.AutoMigrate(ctx, e.DB, []string{t00, t01, t02}, v1); err != nil {
				t.Fatal(err)
			}
			// t01 moves on to the newer models; t03 was never migrated.
			if _, err := migrate.AutoMigrate(ctx, e.DB, []string{t01}, v2); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name   string
				models []any
				behind []string
			}{
				{"v1", v1, []string{t01, t03}},
				{"v2", v2, []string{t00, t02, t03}},
			}
			for _, tt := range tests {
				labels := append([]string{fixture.Central}, e.Tenants...)
				before := map[string]int64{}
				for _, l := range labels {
					before[l] = e.Counter.Get(l)
				}
				report, err := migrate.Check(ctx, e.DB, e.Tenants, migrate.Models(tt.models...), migrate.WithParallel(2))
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				var behind []string
				for _, r := range report.Behind() {
					behind = append(behind, r.Tenant+r.Reserved)
				}
				if !slices.Equal(behind, tt.behind) {
					t.Errorf("%s: behind = %v, want %v", tt.name, behind, tt.behind)
				}
				for _, r := range report.Results {
					if r.Status != migrate.StatusBehind && r.Status != migrate.StatusUpToDate {
						t.Errorf("%s: %+v, want behind or up to date", tt.name, r)
					}
				}
				for _, l := range labels {
					// One read, failed on t03, whose ledger is missing.
					want := int64(1)
					if n := e.Counter.Get(l) - before[l]; n != want {
						t.Errorf("%s: Check sent %d statements to %s, want %d", tt.name, n, l, want)
					}
				}
			}
			// Nothing changed: t03 has no table at all, t01 one ledger row
			// per migration.
			var n int
			if err := e.OpenTenantDB(t, t03).QueryRow(tablesQuery(backend)).Scan(&n); err != nil || n != 0 {
				t.Errorf("t03 has %d tables (%v), want none", n, err)
			}
			if err := e.OpenTenantDB(t, t01).QueryRow("SELECT count(*) FROM " + migrate.LedgerTable).Scan(&n); err != nil || n != 2 {
				t.Errorf("t01's ledger has %d rows (%v), want 2", n, err)
			}
		})
	}
}

func tablesQuery(backend fixture.Backend) string {
	if backend == fixture.Postgres {
		return "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
	}
	return "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
}
