package resolver_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// offlinePG is a resolver on PostgreSQL servers that are not reached:
// registering a tenant opens nothing.
func offlinePG(t *testing.T) *resolver.Resolver {
	return newResolver(t, resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: "postgres://app@db1.internal:5432/app?sslmode=disable"},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
	})
}

// sharedRefused sets tenant "b" to cfg after "a" got first and reports
// whether it was refused with ErrDatabaseShared.
func sharedRefused(t *testing.T, r *resolver.Resolver, first, cfg tenantconfig.Database) bool {
	t.Helper()
	ctx := context.Background()
	if err := r.Set(ctx, "a", first); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Remove(ctx, "a"); _ = r.Remove(ctx, "b") }()
	err := r.Set(ctx, "b", cfg)
	if err != nil && !errors.Is(err, resolver.ErrDatabaseShared) {
		t.Fatalf("b: %v", err)
	}
	return err != nil
}

func dsn(s string) tenantconfig.Database {
	return tenantconfig.Database{DataSource: tenantconfig.DataSource{DSN: s}}
}

// TestRedTeam6SharedThroughFallbackHost: a DSN with several hosts
// reaches its database on each of them (one server fails over to the
// next, which holds the same data): a tenant given that database on any
// of its hosts, or the hosts in another order, shares it.
func TestRedTeam6SharedThroughFallbackHost(t *testing.T) {
	r := offlinePG(t)
	ha := dsn("host=pg1.internal,pg2.internal user=app dbname=shop sslmode=disable")
	for _, other := range []tenantconfig.Database{
		dsn("host=pg2.internal user=app dbname=shop sslmode=disable"),
		dsn("host=pg2.internal,pg1.internal user=app dbname=shop sslmode=disable"),
		dsn("postgres://app@pg3.internal,pg2.internal/shop?sslmode=disable"),
	} {
		if !sharedRefused(t, r, ha, other) {
			t.Errorf("%s given %s's database: accepted", other.DSN, ha.DSN)
		}
	}
	if sharedRefused(t, r, ha, dsn("host=pg1.internal,pg2.internal user=app dbname=shop2 sslmode=disable")) {
		t.Error("another database on the same hosts refused")
	}
}

// TestRedTeam6HeldPostgresSpellings: one database spelled otherwise (the
// default port written out, another user, fields against a URL against
// keywords, a host in capitals) is refused; another database on the same
// server, or the same name on another port, is not.
func TestRedTeam6HeldPostgresSpellings(t *testing.T) {
	r := offlinePG(t)
	first := dsn("postgres://app@db1.internal/shop?sslmode=disable")
	for _, other := range []tenantconfig.Database{
		dsn("host=DB1.internal port=5432 user=other dbname=shop sslmode=disable"),
		{DataSource: tenantconfig.DataSource{Name: "shop", User: "other", Password: "pw"}},
		dsn("postgres://x@db1.internal:5432/app?dbname=shop&sslmode=disable"),
	} {
		if !sharedRefused(t, r, first, other) {
			t.Errorf("%+v given the database of %s: accepted", other.DataSource, first.DSN)
		}
	}
	for _, other := range []tenantconfig.Database{
		dsn("postgres://app@db1.internal/shop2?sslmode=disable"),
		dsn("postgres://app@db1.internal:5433/shop?sslmode=disable"),
	} {
		if sharedRefused(t, r, first, other) {
			t.Errorf("%s refused: it is another database", other.DSN)
		}
	}
}

// TestRedTeam6HeldSQLiteSpellings: a file given relative to the working
// directory, with "./", or with duplicate slashes, or with a pragma that
// sets journal_mode=memory, or as a plain path with a query, is the file
// it names.
func TestRedTeam6HeldSQLiteSpellings(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel := filepath.Join("testdata-redteam6", "a.db") // not created: nothing is opened
	abs := filepath.Join(wd, rel)
	r := newResolver(t, sqliteConfig())
	first := dsn(abs)
	for _, other := range []tenantconfig.Database{
		dsn(rel),
		dsn("./" + rel),
		dsn(filepath.Dir(abs) + "//a.db"),
		dsn(abs + "?_pragma=journal_mode=memory"),
		dsn(abs + "?mode=memory"),
		dsn("file:" + abs + "?_pragma=journal_mode(MEMORY)"),
		dsn("FILE:" + abs),
	} {
		if !sharedRefused(t, r, first, other) {
			t.Errorf("%s given %s: accepted", other.DSN, abs)
		}
	}
}

// TestRedTeam6SharedThroughSymlink: a file reached through a symbolic
// link, to it or to a directory on its path, is the file linked to,
// whether it exists yet or not.
func TestRedTeam6SharedThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real")
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "a.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, l := range [][2]string{{"real", "linkdir"}, {filepath.Join("real", "a.db"), "link.db"}} {
		if err := os.Symlink(filepath.Join(dir, l[0]), filepath.Join(dir, l[1])); err != nil {
			t.Fatal(err)
		}
	}
	r := newResolver(t, sqliteConfig())
	for _, tc := range [][2]string{
		{"real/a.db", "link.db"},
		{"real/a.db", "linkdir/a.db"},
		{"real/new.db", "linkdir/new.db"},
		{"linkdir/sub/new.db", "real/sub/new.db"},
	} {
		if !sharedRefused(t, r, dsn(filepath.Join(dir, tc[0])), dsn("file:"+filepath.Join(dir, tc[1]))) {
			t.Errorf("%s given to b after a got %s: accepted", tc[1], tc[0])
		}
	}
}

// TestRedTeam6HeldConcurrentNewTenantsOneDatabase: tenants set at once to
// one new database: exactly one gets it, the others are refused.
func TestRedTeam6HeldConcurrentNewTenantsOneDatabase(t *testing.T) {
	r := newResolver(t, sqliteConfig())
	cfg := dsn(filepath.Join(t.TempDir(), "x.db"))
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- r.Set(context.Background(), "t"+string(rune('a'+i)), cfg) }()
	}
	won := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			won++
		case !errors.Is(err, resolver.ErrDatabaseShared):
			t.Errorf("Set: %v", err)
		}
	}
	if won != 1 || len(r.Tenants()) != 1 {
		t.Errorf("%d Sets won, %d tenants registered, want 1 and 1", won, len(r.Tenants()))
	}
}
