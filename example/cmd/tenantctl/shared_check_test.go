package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestAddRefusesSharedDatabase: add and update refuse a database that
// another tenant of the store already names, with exit 1, nothing written
// and an error naming that tenant, as create does: every instance would
// refuse such a tenant (resolver.ErrDatabaseShared) after tenantctl said
// it was added.
func TestAddRefusesSharedDatabase(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	acmeFile := filepath.Join(dir, "acme.db")
	c.must("add", "acme", "--dsn", "postgres://u:secret@db/acme")
	c.must("add", "acmefile", "--dsn", acmeFile)
	c.must("add", "beta", "--dsn", "postgres://u@db/beta")
	for _, tc := range []struct {
		args  []string
		owner string
	}{
		{[]string{"add", "gamma", "--dsn", "postgres://other:pw@db:5432/acme?sslmode=disable"}, "acme"},
		{[]string{"add", "gamma", "--dsn", "host=db dbname=acme"}, "acme"},
		{[]string{"add", "gamma", "--dsn", "file:" + acmeFile + "?mode=rwc"}, "acmefile"},
		{[]string{"update", "beta", "--dsn", "postgres://db/acme"}, "acme"},
	} {
		code, _, errOut := c.run(tc.args...)
		if code != 1 || !strings.Contains(errOut, `tenant "`+tc.owner+`"`) || !strings.Contains(errOut, "own database") {
			t.Errorf("tenantctl %v: exit %d, stderr %q; want exit 1 naming tenant %q", tc.args, code, errOut, tc.owner)
		}
		if strings.Contains(errOut, "secret") {
			t.Errorf("tenantctl %v: stderr shows a password: %q", tc.args, errOut)
		}
	}
	if got := c.must("list"); got != "acme\nacmefile\nbeta\n" {
		t.Fatalf("a refused command wrote: %q", got)
	}
	if show := c.must("show", "beta"); !strings.Contains(show, "/beta") {
		t.Fatalf("a refused update was written:\n%s", show)
	}
	// A tenant keeps its own database through an update, and another
	// database on the same server is not shared.
	c.must("update", "acme", "--dsn", "postgres://u@db/acme?sslmode=disable")
	c.must("add", "delta", "--dsn", "postgres://db/delta")
	// Load tests give many tenants one database, on instances that allow it.
	c.must("add", "gamma", "--allow-shared-database", "--dsn", "postgres://db/acme")
}
