package pgdriver

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

func noHook() []stdlib.OptionOpenDB {
	return []stdlib.OptionOpenDB{stdlib.OptionAfterConnect(func(context.Context, *pgx.Conn) error { return nil })}
}

func TestWithDialectorKinds(t *testing.T) {
	var nilDialector *postgres.Dialector
	tests := []struct {
		name    string
		d       gorm.Dialector
		wantErr string // "" for accepted
		want    dialect
	}{
		{"pointer", postgres.New(postgres.Config{PreferSimpleProtocol: true}), "", dialect{simple: true}},
		{"value", postgres.Dialector{Config: &postgres.Config{OptionOpenDB: noHook()}}, "", dialect{}},
		{"open", postgres.Open("host=h"), "", dialect{}},
		{"existing pool", postgres.New(postgres.Config{Conn: &sql.DB{}, PreferSimpleProtocol: true}), "", dialect{plain: true}},
		{"pgx by name", postgres.New(postgres.Config{DriverName: "pgx", PreferSimpleProtocol: true}), "", dialect{plain: true}},
		{"pgx/v5 by name", postgres.New(postgres.Config{DriverName: "pgx/v5"}), "", dialect{plain: true}},
		{"another driver", postgres.New(postgres.Config{DriverName: "cloudsqlpostgres"}), `database/sql driver "cloudsqlpostgres"`, dialect{}},
		{"sqlite", sqlite.Open("x.db"), "*sqlite.Dialector", dialect{}},
		{"nil pointer", nilDialector, "without a Config", dialect{}},
		{"no config", postgres.Dialector{}, "without a Config", dialect{}},
		{"nil", nil, "<nil>", dialect{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pgDriver{}.WithDialector(tt.d)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "pgdriver: ") {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := got.(pgDriver).dialect
			if d == nil || d.plain != tt.want.plain || d.simple != tt.want.simple {
				t.Fatalf("dialect = %+v, want %+v", d, tt.want)
			}
			if got.Name() != DriverName {
				t.Fatalf("name %q", got.Name())
			}
		})
	}
}

// TestWithDialectorAgreement configures a driver once, then asks it
// about other dialectors: the same settings are accepted, others refused.
func TestWithDialectorAgreement(t *testing.T) {
	shared := &postgres.Config{PreferSimpleProtocol: true, OptionOpenDB: noHook()}
	tests := []struct {
		name  string
		first *postgres.Config
		then  *postgres.Config
		agree bool
	}{
		{"equal settings", &postgres.Config{PreferSimpleProtocol: true, DSN: "a"}, &postgres.Config{PreferSimpleProtocol: true, DSN: "b"}, true},
		{"protocol differs", &postgres.Config{PreferSimpleProtocol: true}, &postgres.Config{}, false},
		{"same config with options", shared, shared, true},
		{"options on one side", &postgres.Config{}, &postgres.Config{OptionOpenDB: noHook()}, false},
		{"options that cannot be compared", &postgres.Config{OptionOpenDB: noHook()}, &postgres.Config{OptionOpenDB: noHook()}, false},
		{"existing pools", &postgres.Config{Conn: &sql.DB{}}, &postgres.Config{DriverName: "pgx", PreferSimpleProtocol: true}, true},
		{"existing pool against dsn", &postgres.Config{Conn: &sql.DB{}}, &postgres.Config{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, err := pgDriver{}.WithDialector(&postgres.Dialector{Config: tt.first})
			if err != nil {
				t.Fatal(err)
			}
			again, err := first.WithDialector(&postgres.Dialector{Config: tt.then})
			if tt.agree != (err == nil) {
				t.Fatalf("agree = %v, err = %v", tt.agree, err)
			}
			if err == nil && again.(pgDriver).dialect != first.(pgDriver).dialect {
				t.Fatal("an agreeing dialector reconfigured the driver")
			}
		})
	}
}

// TestGORMTimeZoneHookIsDropped opens GORM as an application does, with
// a time zone in its DSN: GORM appends its own hook to the config's
// OptionOpenDB, and only the application's hook is copied.
func TestGORMTimeZoneHookIsDropped(t *testing.T) {
	cfg := postgres.Config{DSN: "host=127.0.0.1 port=1 TimeZone=Asia/Shanghai", OptionOpenDB: noHook()}
	d := postgres.New(cfg)
	db, err := gorm.Open(d, &gorm.Config{DisableAutomaticPing: true, Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
	opts := d.(*postgres.Dialector).OptionOpenDB
	if len(opts) != 2 {
		t.Fatalf("GORM left %d options, the test expects it to append its time-zone hook", len(opts))
	}
	if fromGORM(opts[0]) || !fromGORM(opts[1]) {
		t.Fatalf("fromGORM = %v, %v; want false, true", fromGORM(opts[0]), fromGORM(opts[1]))
	}
	got, err := pgDriver{}.WithDialector(d)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.(pgDriver).dialect.opts); n != 1 {
		t.Fatalf("%d options copied, want the application's one", n)
	}
}

func TestTimeZoneRule(t *testing.T) {
	tests := []struct {
		name   string
		tmpl   string
		cfg    tenantconfig.DataSource
		want   string
		wantOK bool
	}{
		{"template url", "postgres://h/db?sslmode=disable&TimeZone=Asia/Shanghai", tenantconfig.DataSource{Name: "x"}, "Asia/Shanghai", true},
		{"template key/value", "host=h TimeZone=Asia/Shanghai sslmode=disable", tenantconfig.DataSource{Name: "x"}, "Asia/Shanghai", true},
		{"time_zone", "postgres://h/db?time_zone=UTC", tenantconfig.DataSource{Name: "x"}, "UTC", true},
		{"none", "postgres://h/db", tenantconfig.DataSource{Name: "x"}, "", false},
		{"tenant dsn wins", "postgres://h/db?TimeZone=Asia/Shanghai", tenantconfig.DataSource{DSN: "postgres://h/t"}, "", false},
		{"tenant dsn", "postgres://h/db", tenantconfig.DataSource{DSN: "postgres://h/t?timezone=Europe/Paris"}, "Europe/Paris", true},
		{"param over template", "postgres://h/db?TimeZone=Asia/Shanghai", tenantconfig.DataSource{Name: "x", Params: map[string]string{"TIMEZONE": "Europe/Paris"}}, "Europe/Paris", true},
		{"time_zone param", "postgres://h/db", tenantconfig.DataSource{Name: "x", Params: map[string]string{"time_zone": "Europe/Paris"}}, "Europe/Paris", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := timeZone(tt.tmpl, tt.cfg)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("timeZone = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestTimeZoneAppliedOnlyAsGORMDoes checks which configs get the
// time-zone setting and hook: GORM applies them to a DSN it opens with
// pgx, not to an existing pool's; a bad zone fails before any
// connection.
func TestTimeZoneAppliedOnlyAsGORMDoes(t *testing.T) {
	const tmplTZ = "postgres://app@db.internal/app?TimeZone=Asia/Shanghai"
	dialectOf := func(d gorm.Dialector) *dialect {
		drv, err := pgDriver{}.WithDialector(d)
		if err != nil {
			t.Fatal(err)
		}
		return drv.(pgDriver).dialect
	}
	tests := []struct {
		name      string
		d         *dialect
		wantTZ    string // the "timezone" run-time parameter
		wantOpts  int
		wantMode  pgx.QueryExecMode
		tenantDSN string
	}{
		{"gorm dsn", dialectOf(postgres.Open(tmplTZ)), "Asia/Shanghai", 1, pgx.QueryExecModeCacheStatement, ""},
		{"gorm dsn, simple protocol, hook", dialectOf(postgres.New(postgres.Config{PreferSimpleProtocol: true, OptionOpenDB: noHook()})),
			"Asia/Shanghai", 2, pgx.QueryExecModeSimpleProtocol, ""},
		{"tenant dsn without a zone", dialectOf(postgres.New(postgres.Config{OptionOpenDB: noHook()})), "", 1, pgx.QueryExecModeCacheStatement, "postgres://h/t"},
		{"existing pool", dialectOf(postgres.New(postgres.Config{Conn: &sql.DB{}, PreferSimpleProtocol: true})), "", 0, pgx.QueryExecModeCacheStatement, ""},
		{"not configured", nil, "", 0, pgx.QueryExecModeCacheStatement, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tenantconfig.DataSource{Name: "acme"}
			if tt.tenantDSN != "" {
				c = tenantconfig.DataSource{DSN: tt.tenantDSN}
			}
			cc, _, err := connConfig(tmplTZ, c)
			if err != nil {
				t.Fatal(err)
			}
			opts, err := tt.d.configure(cc, tmplTZ, c)
			if err != nil {
				t.Fatal(err)
			}
			if cc.RuntimeParams["timezone"] != tt.wantTZ || len(opts) != tt.wantOpts || cc.DefaultQueryExecMode != tt.wantMode {
				t.Fatalf("timezone %q, %d options, mode %v; want %q, %d, %v",
					cc.RuntimeParams["timezone"], len(opts), cc.DefaultQueryExecMode, tt.wantTZ, tt.wantOpts, tt.wantMode)
			}
		})
	}
	gormDSN, _ := pgDriver{}.WithDialector(postgres.Open(tmplTZ))
	if _, err := gormDSN.Connector("postgres://h/db?TimeZone=Mars/Olympus", tenantconfig.DataSource{Name: "x"}); err == nil ||
		!strings.Contains(err.Error(), "Mars/Olympus") {
		t.Fatalf("unknown zone: err = %v", err)
	}
}

func TestMergeParamsIgnoresCase(t *testing.T) {
	c, _, err := connConfig("postgres://h/db?TimeZone=Asia/Shanghai", tenantconfig.DataSource{Name: "x", Params: map[string]string{"timezone": "Europe/Paris"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.RuntimeParams["TimeZone"]; ok || c.RuntimeParams["timezone"] != "Europe/Paris" {
		t.Fatalf("params = %v, want the tenant's timezone alone", c.RuntimeParams)
	}
	_, _, err = connConfig("postgres://h/db", tenantconfig.DataSource{Name: "x", Params: map[string]string{"timezone": "UTC", "TimeZone": "Europe/Paris"}})
	if err == nil || !strings.Contains(err.Error(), "same setting") {
		t.Fatalf("err = %v, want params naming the same setting refused", err)
	}
}
