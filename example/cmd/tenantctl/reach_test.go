package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

// TestAddWarnsOfUnreachableDatabase: add and update publish a tenant
// whose database cannot be reached, and say so on stderr, naming the
// cause; --no-connect skips the attempt; a database that exists draws no
// warning.
func TestAddWarnsOfUnreachableDatabase(t *testing.T) {
	c := newCLI(t)
	name := testenv.Databases(t, 1)[0]
	u, err := url.Parse(testenv.DSN(t, name+"_missing"))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "hunter2")
	missing := u.String()

	code, out, errOut := c.run("add", "acme", "--dsn", missing)
	if code != 0 || !strings.Contains(out, "added acme") {
		t.Fatalf("add: exit %d, %q %q; want it published", code, out, errOut)
	}
	for _, want := range []string{"warning", "orm_config.gorm.default", name + "_missing", "does not exist", "tenantctl create", "--no-connect"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("add's warning %q does not say %q", errOut, want)
		}
	}
	if strings.Contains(errOut, "hunter2") {
		t.Errorf("add's warning quotes the password: %q", errOut)
	}
	if _, _, errOut := c.run("update", "acme", "--dsn", missing, "--no-connect"); errOut != "" {
		t.Errorf("update --no-connect wrote %q", errOut)
	}
	code, _, errOut = c.run("update", "acme", "--dsn", testenv.DSN(t, name))
	if code != 0 || errOut != "" {
		t.Fatalf("update to an existing database: exit %d, stderr %q; want no warning", code, errOut)
	}
	if got := c.must("list"); got != "acme\n" {
		t.Fatalf("list = %q", got)
	}
}
