package migrate_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// TestWithProgress: the progress function is called once per database,
// reserved ones and failed ones included, with the result the report
// holds.
func TestWithProgress(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 5, Strategies: centralStrategies()})
	ctx := context.Background()
	boom := errors.New("boom")
	runs := []struct {
		name string
		run  func(opt migrate.Option) (*migrate.Report, error)
	}{
		{"AutoMigrate", func(opt migrate.Option) (*migrate.Report, error) {
			return migrate.AutoMigrate(ctx, e.DB, e.Tenants, []any{&Hospital{}, &Patient{}}, migrate.WithParallel(3), opt)
		}},
		{"AutoMigrate again", func(opt migrate.Option) (*migrate.Report, error) {
			return migrate.AutoMigrate(ctx, e.DB, e.Tenants, []any{&Hospital{}, &Patient{}}, migrate.WithParallel(3), opt)
		}},
		{"Check", func(opt migrate.Option) (*migrate.Report, error) {
			return migrate.Check(ctx, e.DB, e.Tenants, migrate.Models(&Hospital{}, &Patient{}), migrate.WithParallel(3), opt)
		}},
		{"ForEach", func(opt migrate.Option) (*migrate.Report, error) {
			rep, err := migrate.ForEach(ctx, e.DB, e.Tenants, func(ctx context.Context, db *gorm.DB) error {
				if id, _ := tenant.FromContext(ctx); id == e.Tenants[2] {
					return boom
				}
				return nil
			}, migrate.WithParallel(3), opt)
			if !errors.Is(err, boom) {
				t.Errorf("ForEach: err = %v, want boom", err)
			}
			return rep, nil
		}},
	}
	for _, tt := range runs {
		t.Run(tt.name, func(t *testing.T) {
			var got []migrate.Result // calls never overlap: no lock
			report, err := tt.run(migrate.WithProgress(func(r migrate.Result) { got = append(got, r) }))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(report.Results) {
				t.Fatalf("progress called %d times, want %d (one per database): %+v", len(got), len(report.Results), got)
			}
			seen := map[string]int{}
			for _, r := range got {
				seen[r.Tenant+"|"+r.Reserved]++
			}
			for _, r := range report.Results {
				key := r.Tenant + "|" + r.Reserved
				if seen[key] != 1 {
					t.Errorf("%s reported %d times, want once", key, seen[key])
				}
				for _, g := range got {
					if g.Tenant+"|"+g.Reserved == key && (g.Status != r.Status || !errors.Is(g.Err, r.Err)) {
						t.Errorf("progress had %+v, report %+v", g, r)
					}
				}
			}
		})
	}
}
