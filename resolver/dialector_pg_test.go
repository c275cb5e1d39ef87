package resolver_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// withParam returns dsn with the query parameter k=v appended as it is,
// unescaped, the way GORM's documentation writes TimeZone=Asia/Shanghai
// (GORM reads the zone from the DSN's text).
func withParam(dsn, k, v string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + k + "=" + v
}

// openGorm opens a *gorm.DB on d, closed when the test ends.
func openGorm(t *testing.T, d gorm.Dialector) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(d, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return db
}

// probeResult is what one *gorm.DB shows of its pool's settings.
type probeResult struct {
	AppName, TimeZone string
	At                time.Time // a timestamp column written as written
	Prepared          int       // statements prepared on the connection
	RecreateErr       string    // SQLSTATE of reading a table recreated with other columns
}

// probe runs the same statements through db with ctx: a timestamp
// written and read back, the session's settings, the statements
// prepared by repeated reads, and a read after the table was dropped
// and recreated with other columns, all on one connection.
func probe(ctx context.Context, t *testing.T, db *gorm.DB, table string, at time.Time) probeResult {
	t.Helper()
	db = db.WithContext(ctx)
	var res probeResult
	if err := db.Exec("CREATE TABLE " + table + " (at timestamp, a int)").Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("INSERT INTO "+table+" (at, a) VALUES (?, 1)", at).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Raw("SELECT at FROM " + table).Row().Scan(&res.At); err != nil {
		t.Fatal(err)
	}
	tx := db.Begin()
	if tx.Error != nil {
		t.Fatal(tx.Error)
	}
	defer tx.Rollback()
	if err := tx.Raw("SELECT current_setting('application_name'), current_setting('TimeZone')").Row().Scan(&res.AppName, &res.TimeZone); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		var rows []map[string]any
		if err := tx.Raw("SELECT * FROM " + table).Scan(&rows).Error; err != nil || len(rows) != 1 {
			t.Fatalf("read: %v, %d rows", err, len(rows))
		}
	}
	if err := tx.Raw("SELECT count(*) FROM pg_prepared_statements").Row().Scan(&res.Prepared); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TABLE " + table, "CREATE TABLE " + table + " (a text, b int, c int)", "INSERT INTO " + table + " VALUES ('x', 2, 3)"} {
		if err := tx.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	var rows []map[string]any
	if err := tx.Raw("SELECT * FROM " + table).Scan(&rows).Error; err != nil {
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			t.Fatal(err)
		}
		res.RecreateErr = pgErr.Code
	}
	return res
}

// setAppName is an OptionOpenDB an application might give GORM.
func setAppName() []stdlib.OptionOpenDB {
	return []stdlib.OptionOpenDB{stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SET application_name = 'from-hook'")
		return err
	})}
}

// TestTenantPoolsFollowTheDialector opens the application's *gorm.DB
// with a gorm.io/driver/postgres config, routes to a tenant through the
// plugin and pgdriver, and checks that the tenant's pool behaves exactly
// like a plain *gorm.DB opened with the same config on the tenant's
// database: statement protocol, TimeZone handling of timestamp columns,
// OptionOpenDB hooks.
func TestTenantPoolsFollowTheDialector(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		// cfg is the application's dialector config, without its DSN.
		cfg func() postgres.Config
		// dsnParams are set on the application's DSN and the template's.
		dsnParams map[string]string
		// ownDSN gives the tenant a DSN of its own, with these params,
		// instead of a name merged over the template.
		ownDSN       bool
		ownDSNParams map[string]string
		tenantParams map[string]string // tenantconfig.DataSource.Params, merged over the template
		// plainParams are the plain *gorm.DB's DSN params: the tenant's
		// database as the application would name it.
		plainParams map[string]string
		loc         *time.Location // the zone timestamps mean
		check       func(t *testing.T, r probeResult)
	}{
		{name: "defaults cache statements", cfg: func() postgres.Config { return postgres.Config{} },
			check: func(t *testing.T, r probeResult) {
				if r.Prepared == 0 || r.RecreateErr != "0A000" {
					t.Errorf("pgx's default protocol not seen: %+v", r)
				}
			}},
		{name: "simple protocol", cfg: func() postgres.Config { return postgres.Config{PreferSimpleProtocol: true} },
			check: func(t *testing.T, r probeResult) {
				if r.Prepared != 0 || r.RecreateErr != "" {
					t.Errorf("statements prepared: %+v", r)
				}
			}},
		{name: "simple protocol, tenant dsn", cfg: func() postgres.Config { return postgres.Config{PreferSimpleProtocol: true} },
			ownDSN: true,
			check: func(t *testing.T, r probeResult) {
				if r.Prepared != 0 || r.RecreateErr != "" {
					t.Errorf("statements prepared: %+v", r)
				}
			}},
		{name: "time zone", cfg: func() postgres.Config { return postgres.Config{} },
			dsnParams: map[string]string{"TimeZone": "Asia/Shanghai"}, plainParams: map[string]string{"TimeZone": "Asia/Shanghai"},
			loc: shanghai,
			check: func(t *testing.T, r probeResult) {
				if r.TimeZone != "Asia/Shanghai" || r.At.Location().String() != "Asia/Shanghai" {
					t.Errorf("time zone not applied: %+v", r)
				}
			}},
		{name: "time zone, tenant dsn", cfg: func() postgres.Config { return postgres.Config{} },
			ownDSN: true, ownDSNParams: map[string]string{"TimeZone": "Asia/Shanghai"}, plainParams: map[string]string{"TimeZone": "Asia/Shanghai"},
			loc: shanghai,
			check: func(t *testing.T, r probeResult) {
				if r.At.Location().String() != "Asia/Shanghai" {
					t.Errorf("time zone not applied: %+v", r)
				}
			}},
		{name: "time zone param over the template's", cfg: func() postgres.Config { return postgres.Config{} },
			dsnParams: map[string]string{"TimeZone": "Asia/Shanghai"}, tenantParams: map[string]string{"timezone": "America/New_York"},
			plainParams: map[string]string{"timezone": "America/New_York"},
			loc:         newYork,
			check: func(t *testing.T, r probeResult) {
				if r.TimeZone != "America/New_York" || r.At.Location().String() != "America/New_York" {
					t.Errorf("tenant's time zone not applied: %+v", r)
				}
			}},
		{name: "after-connect hook", cfg: func() postgres.Config { return postgres.Config{OptionOpenDB: setAppName()} },
			check: func(t *testing.T, r probeResult) {
				if r.AppName != "from-hook" {
					t.Errorf("hook did not run: %+v", r)
				}
			}},
		{
			// GORM's own time-zone hook, added to the application's
			// config for its DSN, must not reach a tenant whose DSN has
			// no time zone; the application's hook must.
			name: "hook, time zone in the application's dsn only", cfg: func() postgres.Config { return postgres.Config{OptionOpenDB: setAppName()} },
			dsnParams: map[string]string{"TimeZone": "Asia/Shanghai"}, ownDSN: true,
			check: func(t *testing.T, r probeResult) {
				if r.AppName != "from-hook" || r.At.Location().String() != "UTC" {
					t.Errorf("tenant did not open like its own dsn: %+v", r)
				}
			}},
	}
	dbs := testenv.Databases(t, 3*len(tests))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			central, tenantDB, plainDB := dbs[3*i], dbs[3*i+1], dbs[3*i+2]
			appDSN, tmplDSN := testenv.DSN(t, central), testenv.PostgresURL(t)
			for k, v := range tt.dsnParams {
				appDSN, tmplDSN = withParam(appDSN, k, v), withParam(tmplDSN, k, v)
			}
			tc := tenantconfig.DataSource{Name: tenantDB, Params: tt.tenantParams}
			if tt.ownDSN {
				tc = tenantconfig.DataSource{DSN: testenv.DSN(t, tenantDB)}
				for k, v := range tt.ownDSNParams {
					tc.DSN = withParam(tc.DSN, k, v)
				}
			}
			plainDSN := testenv.DSN(t, plainDB)
			for k, v := range tt.plainParams {
				plainDSN = withParam(plainDSN, k, v)
			}

			appCfg := tt.cfg()
			appCfg.DSN = appDSN
			app := openGorm(t, postgres.New(appCfg))
			r := newResolver(t, resolver.Config{
				Template: resolver.Template{Driver: pgdriver.DriverName, DSN: tmplDSN},
				Drivers:  []dbdriver.Driver{pgdriver.New()},
			})
			ctx := context.Background()
			if err := r.Set(ctx, "acme", tenantconfig.Database{DataSource: tc}); err != nil {
				t.Fatal(err)
			}
			if err := app.Use(tenantplugin.New(tenantplugin.Config{Resolver: r, Logger: fixture.Quiet()})); err != nil {
				t.Fatal(err)
			}
			plainCfg := tt.cfg()
			plainCfg.DSN = plainDSN
			plain := openGorm(t, postgres.New(plainCfg))

			loc := tt.loc
			if loc == nil {
				loc = time.UTC
			}
			at := time.Date(2024, 3, 4, 5, 6, 7, 0, loc)
			want := probe(ctx, t, plain, "plain_t", at)
			got := probe(tenant.NewContext(ctx, "acme"), t, app, "routed_t", at)
			if !want.At.Equal(at) {
				t.Fatalf("plain GORM reads %v back for %v: the test's premise is wrong", want.At, at)
			}
			if got.AppName != want.AppName || got.TimeZone != want.TimeZone || !got.At.Equal(want.At) ||
				got.At.Location().String() != want.At.Location().String() ||
				(got.Prepared == 0) != (want.Prepared == 0) || got.RecreateErr != want.RecreateErr {
				t.Errorf("tenant pool differs from plain GORM:\n tenant %+v\n plain  %+v", got, want)
			}
			tt.check(t, got)
		})
	}
}
