package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestAddRefusesUnparseableDSN: a DSN no instance can parse is refused by
// add and update with exit 1 and nothing written, as a DSN with a bad
// port already is; otherwise every instance refuses the tenant later.
func TestAddRefusesUnparseableDSN(t *testing.T) {
	c := newCLI(t)
	c.must("add", "acme", "--dsn", "postgres://db/acme")
	for _, args := range [][]string{
		{"add", "beta", "--dsn", "not a dsn"},
		{"update", "acme", "--dsn", "not a dsn"},
	} {
		code, _, errOut := c.run(args...)
		if code != 1 || !strings.Contains(errOut, "dsn") {
			t.Errorf("tenantctl %v: exit %d, stderr %q; want exit 1 naming the dsn", args, code, errOut)
		}
	}
	if got := c.must("list"); got != "acme\n" {
		t.Fatalf("a rejected command wrote: %q", got)
	}
	if show := c.must("show", "acme"); strings.Contains(show, "not a dsn") {
		t.Fatalf("a rejected update was written:\n%s", show)
	}
}

// TestAddAcceptsEachDriversDSN: the DSNs that add must keep accepting,
// in every form of the two drivers.
func TestAddAcceptsEachDriversDSN(t *testing.T) {
	c := newCLI(t)
	for i, dsn := range []string{
		"postgres://db/acme", "postgresql://u@db:5433/acme?sslmode=disable", "host=db dbname=acme2",
		"acme.db", "data/acme.sqlite?_pragma=busy_timeout(5000)", "file:acme.sqlite3?mode=rwc",
	} {
		c.must("add", fmt.Sprintf("t%d", i), "--dsn", dsn)
	}
}
