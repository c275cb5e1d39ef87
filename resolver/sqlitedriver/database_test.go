package sqlitedriver_test

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// database returns the connector for src and the database it names.
func database(t *testing.T, src tenantconfig.DataSource) (*sql.DB, string) {
	t.Helper()
	c, err := sqlitedriver.New().Connector("", src)
	if err != nil {
		t.Fatalf("%+v: %v", src, err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { _ = db.Close() })
	return db, c.(dbdriver.DatabaseConnector).Database()
}

// TestDatabaseNamesTheFileOpened: every spelling that opens a file, in
// a DSN or a name, names that file: query parameters that SQLite does
// not read as its mode (a pragma setting journal_mode=memory, a query
// after a plain path, which the driver does not pass on), a URI's
// authority, percent-escapes and fragment. Each spelling is shown to
// reach the file by the row it reads.
func TestDatabaseNamesTheFileOpened(t *testing.T) {
	ctx := context.Background()
	dir, err := filepath.EvalSymlinks(t.TempDir()) // as Database names it
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "a b.db")
	db, name := database(t, tenantconfig.DataSource{Name: file})
	if name != file {
		t.Fatalf("Database() = %q, want %q", name, file)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('a')"); err != nil {
		t.Fatal(err)
	}
	esc := (&url.URL{Path: file}).EscapedPath()
	for _, src := range []tenantconfig.DataSource{
		{DSN: file + "?_pragma=journal_mode=memory"},
		{DSN: file + "?mode=memory&cache=shared"},
		{Name: file + "?mode=memory"},
		{DSN: "file:" + esc + "?_pragma=journal_mode=memory"},
		{DSN: "file:" + esc + "?xmode=memory"},
		{DSN: "file://localhost" + esc},
		{DSN: "file:" + strings.Replace(esc, "a", "%61", 1)},
		{DSN: "file:" + esc + "#frag"},
	} {
		db, name := database(t, src)
		var v string
		if err := db.QueryRowContext(ctx, "SELECT v FROM t").Scan(&v); err != nil || v != "a" {
			t.Errorf("%+v does not reach the file (%q, %v): the test is wrong", src, v, err)
		}
		if name != file {
			t.Errorf("%+v: Database() = %q, want %q", src, name, file)
		}
	}
}

// TestDatabaseNamesSharedMemory: an in-memory database with a shared
// cache is one database for every connection of the process that names
// it: it is named, so that two tenants cannot share it; private ones
// are not.
func TestDatabaseNamesSharedMemory(t *testing.T) {
	ctx := context.Background()
	for _, dsn := range []string{
		"file:shared-" + t.Name() + "?mode=memory&cache=shared",
		"file::memory:?cache=shared",
	} {
		a, nameA := database(t, tenantconfig.DataSource{DSN: dsn})
		b, nameB := database(t, tenantconfig.DataSource{DSN: dsn})
		a.SetMaxIdleConns(1)
		if _, err := a.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS t (v TEXT); INSERT INTO t VALUES ('a')"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := b.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n == 0 {
			t.Errorf("%s: not shared (%d rows, %v): the test is wrong", dsn, n, err)
		}
		if nameA == "" || nameA != nameB {
			t.Errorf("%s: Database() = %q and %q, want one non-empty name", dsn, nameA, nameB)
		}
		if strings.Contains(nameA, "/") && filepath.IsAbs(nameA) {
			t.Errorf("%s: Database() = %q names a file", dsn, nameA)
		}
	}
	for _, dsn := range []string{":memory:", "file::memory:", "file:x?mode=memory"} {
		if _, name := database(t, tenantconfig.DataSource{DSN: dsn}); name != "" {
			t.Errorf("%q: Database() = %q, want \"\" for a private database", dsn, name)
		}
	}
}
