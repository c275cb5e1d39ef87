package main

import (
	"strings"
	"testing"
)

// TestUnknownTenantNamesTheService: show, remove and update of a tenant
// the service does not have say which service was looked in and how to
// look elsewhere, since a wrong -service is the likely cause.
func TestUnknownTenantNamesTheService(t *testing.T) {
	c := newCLI(t)
	c.must("add", "acme", "--dsn", "postgres://db/acme")
	for _, args := range [][]string{
		{"-service", "hospitl", "show", "acme"},
		{"-service", "hospitl", "remove", "acme"},
		{"-service", "hospitl", "update", "acme", "--dsn", "postgres://db/acme2"},
	} {
		code, _, errOut := c.run(args...)
		if code != 1 || !strings.Contains(errOut, "unknown tenant") || !strings.Contains(errOut, `service "hospitl"`) || !strings.Contains(errOut, "-service") {
			t.Errorf("tenantctl %v: exit %d, stderr %q; want exit 1 naming the service and -service", args, code, errOut)
		}
	}
	if got := c.must("show", "acme"); !strings.Contains(got, "/acme\"") {
		t.Fatalf("a refused command changed acme:\n%s", got)
	}
}
