package pgdriver_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// reached returns the database src names and the one it reaches.
func reached(t *testing.T, templateDSN string, src tenantconfig.DataSource) (name, current string) {
	t.Helper()
	c, err := pgdriver.New().Connector(templateDSN, src)
	if err != nil {
		t.Fatalf("%+v: %v", src, err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	if err := db.QueryRowContext(context.Background(), "SELECT current_database()").Scan(&current); err != nil {
		t.Fatalf("%+v: %v", src, err)
	}
	return c.(dbdriver.DatabaseConnector).Database(), current
}

// TestDatabaseNamesTheDatabaseReached: with no database name in the
// template or the data source, PostgreSQL opens the one named after the
// user: Database names that one, so that a tenant given it by another
// spelling is compared with the tenant that names it.
func TestDatabaseNamesTheDatabaseReached(t *testing.T) {
	u, err := url.Parse(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.Databases(t, 1)[0]
	// The loopback host is named localhost, however written.
	server := net.JoinHostPort("localhost", u.Port())
	if h := u.Hostname(); h != "127.0.0.1" && h != "::1" && h != "localhost" {
		server = u.Host
	}
	u.Path = ""
	noName := u.String()
	for _, tc := range []struct {
		src  tenantconfig.DataSource
		want string
	}{
		{tenantconfig.DataSource{User: u.User.Username()}, u.User.Username()},
		{tenantconfig.DataSource{DSN: noName + "&dbname=" + db}, db},
		{tenantconfig.DataSource{DSN: noName}, u.User.Username()},
	} {
		name, current := reached(t, noName, tc.src)
		if current != tc.want {
			t.Fatalf("%+v reaches %s, not %s: the test is wrong", tc.src, current, tc.want)
		}
		if want := server + "/" + current; name != want {
			t.Errorf("%+v: Database() = %q, want %q", tc.src, name, want)
		}
	}
}

// TestDatabaseHostSpelledOtherwise: the host's spellings that reach one
// server without a look-up (a trailing dot, an IPv6 address written
// otherwise, an IPv4 address mapped to IPv6, a socket directory with a
// trailing slash, the loopback host's names) name one database.
func TestDatabaseHostSpelledOtherwise(t *testing.T) {
	const tmpl = "postgres://app@db.internal:5432/app?sslmode=disable"
	name := func(host string) string {
		c, err := pgdriver.New().Connector(tmpl, tenantconfig.DataSource{Host: host, Name: "shop"})
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		return c.(dbdriver.DatabaseConnector).Database()
	}
	for _, same := range [][]string{
		{"db.internal", "DB.Internal.", "db.internal."},
		{"2001:db8::1", "2001:DB8:0:0:0:0:0:1", "2001:db8:0::1"},
		{"127.0.0.1", "::ffff:127.0.0.1", "localhost", "LOCALHOST.", "::1", "0:0:0:0:0:0:0:1"},
		{"/var/run/postgresql", "/var/run/postgresql/", "/var/run//postgresql"},
	} {
		want := name(same[0])
		for _, h := range same[1:] {
			if got := name(h); got != want {
				t.Errorf("host %q: Database() = %q, want %q as for %q", h, got, want, same[0])
			}
		}
	}
	for _, two := range [][2]string{{"db.internal", "db.internal2"}, {"localhost", "127.0.0.2"}, {"localhost", "localhost.localdomain"}} {
		if a, b := name(two[0]), name(two[1]); a == b || !strings.HasSuffix(a, "/shop") {
			t.Errorf("Database() = %q and %q for two servers", a, b)
		}
	}
}

// TestParamsNamingConnectionSettingsRefused: a database, user, host,
// port or password given as a run-time parameter is not one: pgx sends
// its own over a "database" or "user" (the tenant would reach the
// template's database, or connect as its user, without an error), and
// the server refuses the others at the first connection. The data
// source is refused when registered, naming the field to use.
func TestParamsNamingConnectionSettingsRefused(t *testing.T) {
	const tmpl = "postgres://app@db.internal:5432/central?sslmode=disable"
	for _, k := range []string{"database", "dbname", "DBName", "user", "host", "hostaddr", "port", "password"} {
		_, err := pgdriver.New().Connector(tmpl, tenantconfig.DataSource{Params: map[string]string{k: "acme-secret"}})
		if err == nil {
			t.Errorf("param %q accepted", k)
			continue
		}
		if strings.Contains(err.Error(), "acme-secret") {
			t.Errorf("param %q: error quotes the value: %v", k, err)
		}
	}
	if _, err := pgdriver.New().Connector(tmpl, tenantconfig.DataSource{Name: "acme", Params: map[string]string{"search_path": "acme", "options": "-c statement_timeout=5s"}}); err != nil {
		t.Errorf("run-time parameters refused: %v", err)
	}
}

// TestDatabaseNamedOffline: without a server, the connector names the database
// the server gives it: without a dbname, PostgreSQL's default, the
// database named as the user. Two tenants given their own roles and no
// dbname reach two databases, and must not be taken for one. A host
// name's case does not matter; a Unix socket directory's does.
func TestDatabaseNamedOffline(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		want string
	}{
		{"postgres://alice@Db.Example:5433/shop", "db.example:5433/shop"},
		{"postgres://alice@db.example:5433", "db.example:5433/alice"},
		{"host=db.example port=5433 user=bob", "db.example:5433/bob"},
		{"host=/run/PG port=5433 user=bob dbname=shop", "/run/PG:5433/shop"},
	} {
		c, err := pgdriver.New().Connector("", tenantconfig.DataSource{DSN: tc.dsn})
		if err != nil {
			t.Fatalf("%s: %v", tc.dsn, err)
		}
		dc, ok := c.(dbdriver.DatabaseConnector)
		if !ok {
			t.Fatalf("%s: the connector does not name its database", tc.dsn)
		}
		if got := dc.Database(); got != tc.want {
			t.Errorf("%s: Database() = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}

// TestSpellingsOfOneAddressShareOffline: Set refuses a tenant whose host
// is another spelling of another tenant's address (the C library's
// forms of an IPv4 address, an IPv6 address with a zone), as it refuses
// the same spelling; no server is needed.
func TestSpellingsOfOneAddressShareOffline(t *testing.T) {
	for _, two := range [][2]string{
		{"localhost", "127.1"},
		{"127.0.0.1", "0x7f000001"},
		{"0.0.0.0", "0"},
		{"10.0.0.1", "10.1"},
		{"::1", "::1%lo"},
		{"fe80::1%eth0", "fe80::1%2"},
	} {
		r, err := resolver.New(resolver.Config{
			Template: resolver.Template{Driver: pgdriver.DriverName, DSN: "postgres://app@db.internal:5432/app?sslmode=disable"},
			Drivers:  []dbdriver.Driver{pgdriver.New()},
			Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := r.Set(ctx, "a", tenantconfig.Database{DataSource: tenantconfig.DataSource{Host: two[0], Name: "shop"}}); err != nil {
			t.Fatal(err)
		}
		err = r.Set(ctx, "b", tenantconfig.Database{DataSource: tenantconfig.DataSource{Host: two[1], Name: "shop"}})
		if !errors.Is(err, resolver.ErrDatabaseShared) {
			t.Errorf("tenant b on %s:5432/shop, tenant a on %s:5432/shop (one database): Set = %v, want ErrDatabaseShared", two[1], two[0], err)
		}
		r.Close()
	}
}
