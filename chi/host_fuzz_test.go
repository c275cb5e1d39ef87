package tenantchi_test

import (
	"errors"
	"strings"
	"testing"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// FuzzNormalizeHost: whatever the host, NormalizeHost returns a valid
// tenant id (the middleware skips tenant.ValidateID's scan for them, but
// for their length) in its normal form, or an error wrapping exactly
// one of ErrNoTenantInRequest (empty host) and tenant.ErrInvalidID.
func FuzzNormalizeHost(f *testing.F) {
	for _, tt := range hostile {
		f.Add(tt.host)
	}
	for _, s := range []string{"acme", "ACME.example.com.:8080", "[::1]:80", "[::ffff:1.2.3.4]", "a_b-c.d", "xn--hpital-dva.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		id, err := tenantchi.NormalizeHost(host)
		if err != nil {
			if id != "" {
				t.Fatalf("NormalizeHost(%q) = %q with error %v", host, id, err)
			}
			if errors.Is(err, tenantchi.ErrNoTenantInRequest) == errors.Is(err, tenant.ErrInvalidID) {
				t.Fatalf("NormalizeHost(%q): error %v is not exactly one of the two", host, err)
			}
			if host != "" && !errors.Is(err, tenant.ErrInvalidID) {
				t.Fatalf("NormalizeHost(%q): %v, want tenant.ErrInvalidID", host, err)
			}
			return
		}
		if len(id) <= tenant.MaxIDLen {
			if verr := tenant.ValidateID(id); verr != nil {
				t.Fatalf("NormalizeHost(%q) = %q, which ValidateID refuses: %v", host, id, verr)
			}
		}
		if id != strings.ToLower(id) {
			t.Fatalf("NormalizeHost(%q) = %q, not lower case", host, id)
		}
		if strings.Contains(id, ":") { // an IPv6 literal: the bracketed form normalises to it
			if again, err := tenantchi.NormalizeHost("[" + id + "]"); err != nil || again != id {
				t.Fatalf("NormalizeHost([%q]) = %q, %v; want it unchanged", id, again, err)
			}
			return
		}
		if again, err := tenantchi.NormalizeHost(id); err != nil || again != id {
			t.Fatalf("NormalizeHost(%q) = %q, %v; want it unchanged", id, again, err)
		}
	})
}
