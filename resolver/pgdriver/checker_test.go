package pgdriver

import (
	"maps"
	"slices"
	"testing"

	"gorm.io/driver/postgres"

	"github.com/jackc/pgx/v5"

	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// simpleDriver is the driver configured from a dialector with the simple
// protocol.
func simpleDriver(tb testing.TB) dbdriver.Driver {
	tb.Helper()
	d, err := pgDriver{}.WithDialector(postgres.New(postgres.Config{PreferSimpleProtocol: true}))
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// TestCheckAgreesWithConnector: Check refuses what Connector refuses,
// with its message, and names the databases its connector names, with
// pgx's defaults and with a dialector's settings (a time zone that does
// not load is refused only with them).
func TestCheckAgreesWithConnector(t *testing.T) {
	simple := simpleDriver(t)
	const tmpl = "postgres://app@db.internal:5432/app?sslmode=disable"
	srcs := []tenantconfig.DataSource{
		{Name: "shop"},
		{Host: "DB.Internal.", Port: 6432, Name: "shop", User: "u", Password: "p"},
		{Host: "::ffff:127.0.0.1", Name: "shop"},
		{User: "only_user"},
		{Name: "shop", Params: map[string]string{"application_name": "x"}},
		{Name: "shop", Params: map[string]string{"TimeZone": "Europe/Paris"}},
		{Name: "shop", Params: map[string]string{"TimeZone": "Nowhere/Nothing"}},
		{Name: "shop", Params: map[string]string{"pgbouncer": "transaction"}},
		{Name: "shop", Params: map[string]string{"pgbouncer": "sometimes"}},
		{Name: "shop", Params: map[string]string{"database": "other"}},
		{Name: "shop", Port: 70000},
		{Name: "a\x00b"},
		{Host: "[::1]", Name: "shop"},
		{DSN: "postgres://u@h1:5432,h2:5433,H1:5432/db?sslmode=disable"},
		{DSN: "host=/run//pg dbname=d sslmode=disable"},
		{DSN: "postgres://u@h/db?sslmode=disable&default_query_exec_mode=cache_statement&pgbouncer=transaction"},
		{DSN: "::not a dsn"},
	}
	refused, named := 0, 0
	for _, d := range []dbdriver.Driver{pgDriver{}, simple} {
		for _, src := range srcs {
			dbs, cerr := d.(dbdriver.Checker).Check(tmpl, src)
			conn, err := d.Connector(tmpl, src)
			if (cerr == nil) != (err == nil) || cerr != nil && cerr.Error() != err.Error() {
				t.Errorf("%+v: Check: %v; Connector: %v", src, cerr, err)
				continue
			}
			if err != nil {
				refused++
				continue
			}
			named++
			if want := conn.(dbdriver.DatabasesConnector).Databases(); !slices.Equal(dbs, want) {
				t.Errorf("%+v: Check names %q, the connector %q", src, dbs, want)
			}
		}
	}
	if refused < 12 || named < 16 {
		t.Fatalf("%d refused, %d named: the table no longer covers both", refused, named)
	}
}

// FuzzCheckAgreesWithConnector: for any data source, Check and Connector
// refuse alike and name the same databases, so that the shared-database
// check reads what the pool will reach.
func FuzzCheckAgreesWithConnector(f *testing.F) {
	f.Add("", "db.internal", 0, "shop", "u", "k", "v")
	f.Add("", "::FFFF:10.0.0.1", 6432, "", "", "TimeZone", "UTC")
	f.Add("postgres://u@h1,h2:5433/db?sslmode=prefer", "", 0, "", "", "", "")
	f.Add("host=/tmp dbname=x", "", 0, "", "", "pgbouncer", "transaction")
	simple := simpleDriver(f)
	const tmpl = "postgres://app@db.internal:5432/app?sslmode=prefer&host=db.internal,db2.internal"
	f.Fuzz(func(t *testing.T, dsn, host string, port int, name, user, k, v string) {
		src := tenantconfig.DataSource{DSN: dsn, Host: host, Port: port, Name: name, User: user}
		if k != "" {
			src.Params = map[string]string{k: v}
		}
		for _, d := range []dbdriver.Driver{pgDriver{}, simple} {
			dbs, cerr := d.(dbdriver.Checker).Check(tmpl, src)
			conn, err := d.Connector(tmpl, src)
			if (cerr == nil) != (err == nil) || cerr != nil && cerr.Error() != err.Error() {
				t.Fatalf("%+v: Check: %v; Connector: %v", src, cerr, err)
			}
			if err == nil {
				if want := conn.(dbdriver.DatabasesConnector).Databases(); !slices.Equal(dbs, want) {
					t.Fatalf("%+v: Check names %q, the connector %q", src, dbs, want)
				}
			}
		}
	})
}

// TestCheckLeavesTheTemplate: Check merges over a shallow copy of the
// cached template; whatever it merges (host, port, params, a time zone,
// the simple protocol), the template's config and its fallbacks' stay
// as parsed, TLS server names included.
func TestCheckLeavesTheTemplate(t *testing.T) {
	const tmpl = "postgres://app:pw@db1.internal:5432/app?sslmode=require&host=db1.internal,db2.internal&search_path=public"
	simple := simpleDriver(t)
	type fallback struct {
		host, serverName string
		port             uint16
	}
	snapshot := func() (string, uint16, string, string, map[string]string, pgx.QueryExecMode, string, []fallback) {
		cc, _, err := templates.parse(tmpl, func(cc *pgx.ConnConfig) *pgx.ConnConfig { return cc })
		if err != nil {
			t.Fatal(err)
		}
		var fbs []fallback
		for _, f := range cc.Fallbacks {
			fbs = append(fbs, fallback{f.Host, f.TLSConfig.ServerName, f.Port})
		}
		return cc.Host, cc.Port, cc.Database, cc.User, maps.Clone(cc.RuntimeParams), cc.DefaultQueryExecMode, cc.TLSConfig.ServerName, fbs
	}
	h0, p0, d0, u0, rp0, m0, sn0, fb0 := snapshot()
	if len(fb0) == 0 || sn0 != "db1.internal" {
		t.Fatalf("the template parsed as %s with fallbacks %+v: the test is wrong", sn0, fb0)
	}
	for _, d := range []dbdriver.Driver{pgDriver{}, simple} {
		for _, src := range []tenantconfig.DataSource{
			{Host: "other.internal", Port: 6000, Name: "shop", User: "u", Password: "p"},
			{Port: 7000, Params: map[string]string{"search_path": "tenant", "application_name": "x", "TimeZone": "Europe/Paris"}},
			{Name: "x", Params: map[string]string{"default_query_exec_mode": "exec", "pgbouncer": "transaction"}},
		} {
			if _, err := d.(dbdriver.Checker).Check(tmpl, src); err != nil {
				t.Fatalf("%+v: %v", src, err)
			}
		}
	}
	h, p, db, u, rp, m, sn, fb := snapshot()
	if h != h0 || p != p0 || db != d0 || u != u0 || !maps.Equal(rp, rp0) || m != m0 || sn != sn0 || !slices.Equal(fb, fb0) {
		t.Fatalf("the template changed: %s:%d/%s user %s params %v mode %v tls %s fallbacks %+v; was %s:%d/%s user %s params %v mode %v tls %s fallbacks %+v",
			h, p, db, u, rp, m, sn, fb, h0, p0, d0, u0, rp0, m0, sn0, fb0)
	}
}
