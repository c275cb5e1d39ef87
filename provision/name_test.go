package provision_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/provision"
)

var nameShape = regexp.MustCompile(`^[a-z][a-z0-9_]*_[0-9a-f]{12}$`)

// TestDatabaseName: derived names are deterministic, of [a-z0-9_],
// start with a letter, fit in 48 bytes, and differ for ids that read
// alike.
func TestDatabaseName(t *testing.T) {
	long := strings.Repeat("tenant-", 18) // 126 bytes
	ids := []string{
		"acme", "Acme", "ACME", "a.cme", "a-cme", "a_cme", "acme.", ".acme",
		"tenant-1.localhost", "tenant_1_localhost", "Tenant-1.LOCALHOST",
		"1acme", "ü", "é", "日本", "a b", `a"b`, "a'b", "a;b",
		long + "a", long + "b", long[:120] + "zzzzzzzz",
	}
	seen := map[string]string{}
	for _, id := range ids {
		n := provision.DatabaseName(id)
		if n != provision.DatabaseName(id) {
			t.Fatalf("%q: not deterministic", id)
		}
		if !nameShape.MatchString(n) || len(n) > 48 {
			t.Errorf("%q -> %q: want [a-z][a-z0-9_]*_<12 hex>, at most 48 bytes", id, n)
		}
		if err := provision.ValidateName(n); err != nil {
			t.Errorf("%q -> %q: refused by ValidateName: %v", id, n, err)
		}
		if other, dup := seen[n]; dup {
			t.Errorf("%q and %q share %q", id, other, n)
		}
		seen[n] = id
	}
	if got, want := provision.DatabaseName("tenant-1.localhost")[:len("tenant_1_localhost_")], "tenant_1_localhost_"; got != want {
		t.Errorf("readable part %q, want %q", got, want)
	}
}

// TestValidateName: explicit names are refused with the input named,
// except when they look like a URL or DSN (which may hold a password).
func TestValidateName(t *testing.T) {
	for _, ok := range []string{"acme", "_acme", "acme_2", strings.Repeat("a", 63)} {
		if err := provision.ValidateName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	tests := []struct{ name, want string }{
		{"", "empty"},
		{`ac"me`, `"ac\"me"`},
		{"ac'me", `"ac'me"`},
		{"acme; DROP DATABASE x", "character ';'"},
		{"ac me", "character ' '"},
		{"Acme", "upper-case 'A'"},
		{"acMe", "upper-case 'M'"},
		{"2acme", "starts with a digit"},
		{"ac-me", "character '-'"},
		{strings.Repeat("a", 64), "64 bytes, at most 63"},
		{"postgres", "server's own"},
		{"template1", "server's own"},
		{"ünï", "character"},
		{"postgres://u:hunter2@db/x", "not a URL or DSN"},
		{"dbname=x password=hunter2", "not a URL or DSN"},
	}
	for _, tt := range tests {
		err := provision.ValidateName(tt.name)
		if !errors.Is(err, provision.ErrInvalidName) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidateName(%q) = %v; want ErrInvalidName and %q", tt.name, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ValidateName(%q) shows the password: %v", tt.name, err)
		}
		if tt.name != "" && !strings.Contains(tt.name, "hunter2") && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.name)) {
			t.Errorf("ValidateName(%q) = %v: does not name the input", tt.name, err)
		}
	}
}
