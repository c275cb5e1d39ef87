package migrate_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// gooseVersion reads the last version goose applied on db, directly.
func gooseVersion(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var v sql.NullInt64
	if err := db.QueryRow("SELECT max(version_id) FROM goose_db_version WHERE is_applied").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v.Int64
}

// TestGooseThreeVersions: three goose migrations on 20 tenants, one of
// which already has a table that migration 2 creates: that tenant stays
// at version 1 and is reported failed with its version, the others reach
// version 3; Check lists it as behind; once the conflict is gone, a
// re-run migrates only that tenant.
func TestGooseThreeVersions(t *testing.T) {
	for _, backend := range []fixture.Backend{fixture.SQLite, fixture.Postgres} {
		t.Run(string(backend), func(t *testing.T) {
			n := 20
			if backend == fixture.SQLite {
				n = 6
			}
			e := fixture.New(t, backend, fixture.Options{Tenants: n})
			ctx := context.Background()
			bad := e.Tenants[3]
			badDB := e.OpenTenantDB(t, bad)
			if _, err := badDB.Exec("CREATE TABLE beds (id INTEGER PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			step := migrate.Goose(os.DirFS("testdata/goose"))

			report, err := migrate.Apply(ctx, e.DB, e.Tenants, step, migrate.WithParallel(4))
			var te *tenant.Error
			if !errors.As(err, &te) || te.ID != bad {
				t.Fatalf("err = %v, want the error of tenant %s", err, bad)
			}
			for _, r := range report.Results {
				want := migrate.StatusMigrated
				if r.Tenant == bad {
					want = migrate.StatusFailed
					if r.Detail != "goose version 1 of 3" || r.Err == nil || !strings.Contains(r.Err.Error(), "beds") {
						t.Fatalf("failed tenant: %+v", r)
					}
				}
				if r.Status != want {
					t.Fatalf("%s: %v (%v), want %v", r.Tenant, r.Status, r.Err, want)
				}
			}
			for _, id := range e.Tenants {
				want := int64(3)
				if id == bad {
					want = 1
				}
				if got := gooseVersion(t, e.OpenTenantDB(t, id)); got != want {
					t.Fatalf("%s is at goose version %d, want %d", id, got, want)
				}
			}

			check, err := migrate.Check(ctx, e.DB, e.Tenants, step)
			if err != nil {
				t.Fatal(err)
			}
			behind := check.Behind()
			if len(behind) != 1 || behind[0].Tenant != bad || behind[0].Detail != "goose version 1 of 3" {
				t.Fatalf("behind = %+v, want only %s at version 1", behind, bad)
			}

			if _, err := badDB.Exec("DROP TABLE beds"); err != nil {
				t.Fatal(err)
			}
			report, err = migrate.Apply(ctx, e.DB, e.Tenants, step, migrate.WithParallel(4))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range report.Results {
				want := migrate.StatusUpToDate
				if r.Tenant == bad {
					want = migrate.StatusMigrated
				}
				if r.Status != want {
					t.Fatalf("re-run: %s: %v, want %v", r.Tenant, r.Status, want)
				}
			}
			if got := gooseVersion(t, badDB); got != 3 {
				t.Fatalf("%s is at goose version %d after the re-run, want 3", bad, got)
			}
		})
	}
}

// TestGooseTwoRunnersAtOnce: two runs of the same goose migrations at
// once apply each migration once on each database, and both succeed.
func TestGooseTwoRunnersAtOnce(t *testing.T) {
	for _, backend := range []fixture.Backend{fixture.SQLite, fixture.Postgres} {
		t.Run(string(backend), func(t *testing.T) {
			e := fixture.New(t, backend, fixture.Options{Tenants: 8})
			step := migrate.Goose(os.DirFS("testdata/goose"))
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				wg.Go(func() {
					_, errs[i] = migrate.Apply(context.Background(), e.DB, e.Tenants, step, migrate.WithParallel(4))
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("runner %d: %v", i, err)
				}
			}
			for _, id := range e.Tenants {
				db := e.OpenTenantDB(t, id)
				var applied, ledger int
				if err := db.QueryRow("SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&applied); err != nil {
					t.Fatal(err)
				}
				if err := db.QueryRow("SELECT count(*) FROM " + migrate.LedgerTable + " WHERE step = 'goose'").Scan(&ledger); err != nil {
					t.Fatal(err)
				}
				if applied != 3 || ledger != 1 {
					t.Fatalf("%s: goose applied %d migrations, ledger has %d rows; want 3 and 1", id, applied, ledger)
				}
			}
		})
	}
}

// TestGooseChangedFilesRunAgain: a new migration file changes the
// step's fingerprint; the databases are behind until applied.
func TestGooseChangedFilesRunAgain(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 2})
	ctx := context.Background()
	fsys := fstest.MapFS{}
	for _, name := range []string{"00001_wards.sql", "00002_beds.sql"} {
		b, err := os.ReadFile("testdata/goose/" + name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	if _, err := migrate.Apply(ctx, e.DB, e.Tenants, migrate.Goose(fsys)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/goose/00003_ward_floor.sql")
	if err != nil {
		t.Fatal(err)
	}
	fsys["00003_ward_floor.sql"] = &fstest.MapFile{Data: b}
	check, err := migrate.Check(ctx, e.DB, e.Tenants, migrate.Goose(fsys))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(check.Behind()); got != 2 || check.Behind()[0].Detail != "goose version 2 of 3" {
		t.Fatalf("behind = %+v, want both tenants at version 2", check.Behind())
	}
	report, err := migrate.Apply(ctx, e.DB, e.Tenants, migrate.Goose(fsys))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range report.Results {
		if r.Status != migrate.StatusMigrated || gooseVersion(t, e.OpenTenantDB(t, r.Tenant)) != 3 {
			t.Fatalf("%+v: want migrated to version 3", r)
		}
	}
}

// TestGooseInvalid: goose steps that cannot run are refused before
// anything runs.
func TestGooseInvalid(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1})
	for name, step := range map[string]migrate.Step{
		"nil fs":        migrate.Goose(nil),
		"no migrations": migrate.Goose(fstest.MapFS{}),
	} {
		t.Run(name, func(t *testing.T) {
			report, err := migrate.Apply(context.Background(), e.DB, e.Tenants, step)
			if !errors.Is(err, migrate.ErrInvalidStep) || report != nil {
				t.Fatalf("report %v, err %v; want ErrInvalidStep and no report", report, err)
			}
			if n := e.Counter.Get(e.Tenants[0]); n != 0 {
				t.Fatalf("%d statements sent", n)
			}
		})
	}
}
