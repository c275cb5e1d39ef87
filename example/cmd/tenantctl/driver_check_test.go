package main

import (
	"strings"
	"testing"
)

// TestAddRefusesOtherDriverThanTemplate: with DATABASE_URL a PostgreSQL
// URL (the instances' template), add and update refuse a SQLite tenant,
// whose file every instance would try to parse as a PostgreSQL DSN and
// refuse; without DATABASE_URL the DSN is accepted as before.
func TestAddRefusesOtherDriverThanTemplate(t *testing.T) {
	c := newCLI(t)
	c.must("add", "acme", "--dsn", "postgres://db/acme")
	c.env["DATABASE_URL"] = "postgres://app:secret@db/central"
	for _, args := range [][]string{
		{"add", "beta", "--dsn", "beta.db"},
		{"add", "beta", "--dsn", "file:beta.sqlite?mode=rwc"},
		{"update", "acme", "--dsn", "acme.sqlite3"},
	} {
		code, _, errOut := c.run(args...)
		if code != 1 || !strings.Contains(errOut, "SQLite") || !strings.Contains(errOut, "DATABASE_URL") || strings.Contains(errOut, "secret") {
			t.Errorf("tenantctl %v: exit %d, stderr %q; want exit 1 naming SQLite and DATABASE_URL, no password", args, code, errOut)
		}
	}
	if got := c.must("list"); got != "acme\n" {
		t.Fatalf("a refused command wrote: %q", got)
	}
	c.must("add", "gamma", "--dsn", "postgres://db/gamma")
	delete(c.env, "DATABASE_URL")
	c.must("add", "delta", "--dsn", "delta.db")
}
