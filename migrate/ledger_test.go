package migrate_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// centralStrategies places Hospital on the central database, the
// reserved alias "default".
func centralStrategies() []tenantplugin.Strategy {
	return []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Hospital{})}
}

// TestAutoMigrateRerunIsOneQueryPerDatabase: a second AutoMigrate of the
// same models sends each database one statement (the ledger's read) and
// reports it up to date.
func TestAutoMigrateRerunIsOneQueryPerDatabase(t *testing.T) {
	for _, backend := range []fixture.Backend{fixture.SQLite, fixture.Postgres} {
		t.Run(string(backend), func(t *testing.T) {
			e := fixture.New(t, backend, fixture.Options{Tenants: 3, Strategies: centralStrategies()})
			ctx := context.Background()
			models := []any{&Hospital{}, &Patient{}}
			report, err := migrate.AutoMigrate(ctx, e.DB, e.Tenants, models, migrate.WithParallel(2))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range report.Results {
				if r.Status != migrate.StatusMigrated {
					t.Fatalf("first run: %+v, want migrated", r)
				}
			}
			labels := append([]string{fixture.Central}, e.Tenants...)
			before := map[string]int64{}
			for _, l := range labels {
				before[l] = e.Counter.Get(l)
			}
			total := e.Counter.Total()
			report, err = migrate.AutoMigrate(ctx, e.DB, e.Tenants, models, migrate.WithParallel(2))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range labels {
				if n := e.Counter.Get(l) - before[l]; n != 1 {
					t.Errorf("re-run sent %d statements to %s, want 1", n, l)
				}
			}
			if n := e.Counter.Total() - total; n != int64(len(labels)) {
				t.Errorf("re-run sent %d statements in all, want %d: %s", n, len(labels), e.Counter)
			}
			if len(report.Results) != len(labels) {
				t.Fatalf("results = %+v, want %d", report.Results, len(labels))
			}
			for _, r := range report.Results {
				if r.Status != migrate.StatusUpToDate || r.Err != nil {
					t.Errorf("re-run: %+v, want up to date", r)
				}
			}
		})
	}
}

// secondRunner returns another *gorm.DB with the plugin, its own
// resolver and pools, on the same central and tenant databases as e: a
// second process migrating the same databases.
func secondRunner(t *testing.T, e *fixture.Env, central string) *gorm.DB {
	t.Helper()
	var (
		dial gorm.Dialector
		tmpl resolver.Template
		drv  dbdriver.Driver
	)
	if e.Backend == fixture.SQLite {
		tmpl = resolver.Template{Driver: sqlitedriver.DriverName, DSN: "tenant.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"}
		drv = sqlitedriver.New()
		c, err := drv.Connector(tmpl.DSN, tenantconfig.DataSource{Name: central})
		if err != nil {
			t.Fatal(err)
		}
		centralDB := sql.OpenDB(c)
		t.Cleanup(func() { _ = centralDB.Close() })
		dial = &sqlite.Dialector{Conn: centralDB}
	} else {
		tmpl = resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(t)}
		drv = pgdriver.New()
		dial = postgres.New(postgres.Config{Conn: mustOpen(t, central)})
	}
	db, err := gorm.Open(dial, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	r, err := resolver.New(resolver.Config{Template: tmpl, Drivers: []dbdriver.Driver{drv}, Logger: fixture.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil && !errors.Is(err, resolver.ErrClosed) {
			t.Errorf("resolver close: %v", err)
		}
	})
	for _, id := range e.Tenants {
		if err := r.Set(context.Background(), id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: e.Names[id]}}); err != nil {
			t.Fatal(err)
		}
	}
	p := tenantplugin.New(tenantplugin.Config{Resolver: r, Strategies: centralStrategies(), Logger: fixture.Quiet()})
	if err := db.Use(p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return db
}

// centralName returns the central database's name, or its file for
// SQLite.
func centralName(t *testing.T, e *fixture.Env) string {
	t.Helper()
	q := "SELECT current_database()"
	if e.Backend == fixture.SQLite {
		q = "SELECT file FROM pragma_database_list WHERE name = 'main'"
	}
	var name string
	if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Raw(q).Scan(&name).Error; err != nil {
		t.Fatal(err)
	}
	return name
}

// openDatabase opens the database name (a file for SQLite) around the
// plugin.
func openDatabase(t *testing.T, backend fixture.Backend, name string) *sql.DB {
	t.Helper()
	if backend == fixture.Postgres {
		return mustOpen(t, name)
	}
	c, err := sqlitedriver.New().Connector("", tenantconfig.DataSource{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestAutoMigrateTwoRunnersAtOnce: two runners started at once on the
// same 20 tenants both succeed, and each database is migrated by one of
// them only: its ledger has one row, and the other runner reports it up
// to date.
func TestAutoMigrateTwoRunnersAtOnce(t *testing.T) {
	for _, backend := range []fixture.Backend{fixture.Postgres, fixture.SQLite} {
		t.Run(string(backend), func(t *testing.T) { twoRunners(t, backend) })
	}
}

func twoRunners(t *testing.T, backend fixture.Backend) {
	e := fixture.New(t, backend, fixture.Options{Tenants: 20, Strategies: centralStrategies()})
	central := centralName(t, e)
	runners := []*gorm.DB{e.DB, secondRunner(t, e, central)}
	models := []any{&Hospital{}, &Patient{}}

	reports := make([]*migrate.Report, len(runners))
	errs := make([]error, len(runners))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, db := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			reports[i], errs[i] = migrate.AutoMigrate(context.Background(), db, e.Tenants, models, migrate.WithParallel(4))
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("runner %d: %v", i, err)
		}
	}
	// Per database: how many runners migrated it, and how many found it
	// up to date.
	type tally struct{ migrated, upToDate int }
	seen := map[string]*tally{}
	for _, rep := range reports {
		for _, r := range rep.Results {
			key := r.Tenant + r.Reserved
			if seen[key] == nil {
				seen[key] = &tally{}
			}
			switch r.Status {
			case migrate.StatusMigrated:
				seen[key].migrated++
			case migrate.StatusUpToDate:
				seen[key].upToDate++
			default:
				t.Errorf("%+v: want migrated or up to date", r)
			}
		}
	}
	if len(seen) != len(e.Tenants)+1 {
		t.Fatalf("results for %d databases, want %d", len(seen), len(e.Tenants)+1)
	}
	for key, n := range seen {
		if n.migrated != 1 || n.upToDate != 1 {
			t.Errorf("%s: migrated by %d runners, up to date for %d; want 1 and 1", key, n.migrated, n.upToDate)
		}
	}
	dbs := map[string]*sql.DB{tenantplugin.DefaultAlias: openDatabase(t, backend, central)}
	for _, id := range e.Tenants {
		dbs[id] = e.OpenTenantDB(t, id)
	}
	for key, db := range dbs {
		var rows int
		if err := db.QueryRow("SELECT count(*) FROM tenantplugin_migrations").Scan(&rows); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if rows != 1 {
			t.Errorf("%s: the ledger has %d rows, want 1", key, rows)
		}
	}
}

func mustOpen(t *testing.T, name string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", testenv.DSN(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
