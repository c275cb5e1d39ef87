package tenantchi_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// Kinds of extractor result.
const (
	found     = "found"   // a tenant id
	none      = "none"    // ErrNoTenantInRequest: the next extractor is tried
	malformed = "invalid" // tenant.ErrInvalidID: refused with 400
)

func kindOf(t *testing.T, err error) string {
	t.Helper()
	switch {
	case err == nil:
		return found
	case errors.Is(err, tenantchi.ErrNoTenantInRequest) && !errors.Is(err, tenant.ErrInvalidID):
		return none
	case errors.Is(err, tenant.ErrInvalidID) && !errors.Is(err, tenantchi.ErrNoTenantInRequest):
		return malformed
	}
	t.Fatalf("error %v is neither ErrNoTenantInRequest nor tenant.ErrInvalidID", err)
	return ""
}

// TestFromHost: the host is normalised (port, case, trailing dot,
// IPv6 brackets) and anything that is not a host name or an IPv6
// literal is refused, with an error that quotes it cut short.
func TestFromHost(t *testing.T) {
	tests := []struct {
		host string
		kind string
		id   string
	}{
		{"acme", found, "acme"},
		{"acme.example.com", found, "acme.example.com"},
		{"acme.example.com:8080", found, "acme.example.com"},
		{"acme.example.com:", found, "acme.example.com"},
		{"ACME.Example.COM:443", found, "acme.example.com"},
		{"acme.example.com.", found, "acme.example.com"},
		{"acme.example.com.:80", found, "acme.example.com"},
		{"xn--hpital-dva.example.com", found, "xn--hpital-dva.example.com"},
		{"XN--HPITAL-DVA.example.com", found, "xn--hpital-dva.example.com"},
		{"tenant_1-a.localhost", found, "tenant_1-a.localhost"},
		{"127.0.0.1:8000", found, "127.0.0.1"},
		{"[::1]", found, "::1"},
		{"[::1]:8080", found, "::1"},
		{"[2001:DB8:0:0::1]:443", found, "2001:db8::1"},
		{strings.Repeat("a", 63) + ".com", found, strings.Repeat("a", 63) + ".com"},
		{"", none, ""},
		{"::1", malformed, ""},
		{"[::1", malformed, ""},
		{"[::1]x", malformed, ""},
		{"[::1]:x", malformed, ""},
		{"[1.2.3.4]", malformed, ""},
		{"[fe80::1%eth0]:80", malformed, ""},
		{"[fe80::1%25eth0]", malformed, ""},
		{"acme:http", malformed, ""},
		{"acme:123456", malformed, ""},
		{":8080", malformed, ""},
		{".", malformed, ""},
		{"..", malformed, ""},
		{"a..b", malformed, ""},
		{".acme", malformed, ""},
		{"acme..", malformed, ""},
		{"hôpital.example.com", malformed, ""},
		{"ac\x00me", malformed, ""},
		{"acme\r\nX-Tenant: beta", malformed, ""},
		{" acme", malformed, ""},
		{"a/b", malformed, ""},
		{`a\b`, malformed, ""},
		{"%2e%2e", malformed, ""},
		{"user@acme", malformed, ""},
		{strings.Repeat("a", 64) + ".com", malformed, ""},
		{strings.Repeat("a.", 200) + "com", malformed, ""},
		{strings.Repeat("a", 100000), malformed, ""},
	}
	for _, tt := range tests {
		name := tt.host
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Host = tt.host
			id, err := tenantchi.FromHost(req)
			if k := kindOf(t, err); k != tt.kind || id != tt.id {
				t.Fatalf("FromHost = %q, %v (%s); want %q (%s)", id, err, k, tt.id, tt.kind)
			}
			if err != nil && (len(err.Error()) > 200 || strings.ContainsAny(err.Error(), "\x00\r\n")) {
				t.Fatalf("error %q echoes the host unquoted or at length", err)
			}
		})
	}
}

// TestFromHostDoesNotAllocate: a host already in its normal form costs
// no allocation; upper case costs the lower-cased copy.
func TestFromHostDoesNotAllocate(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for host, want := range map[string]float64{"acme.example.com:8080": 0, "acme.example.com.": 0, "ACME.example.com": 1} {
		req.Host = host
		if n := testing.AllocsPerRun(100, func() { _, _ = tenantchi.FromHost(req) }); n != want {
			t.Errorf("FromHost(%q): %v allocations, want %v", host, n, want)
		}
	}
}

// TestFromHeader: the header's value, taken as is (the middleware
// validates it); absent or empty finds none, given twice is refused.
func TestFromHeader(t *testing.T) {
	ex := tenantchi.FromHeader("x-tenant")
	tests := []struct {
		name   string
		values []string
		kind   string
		id     string
	}{
		{"one", []string{"beta"}, found, "beta"},
		{"absent", nil, none, ""},
		{"empty", []string{""}, none, ""},
		{"twice", []string{"beta", "acme"}, malformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.values != nil {
				req.Header["X-Tenant"] = tt.values
			}
			id, err := ex(req)
			if k := kindOf(t, err); k != tt.kind || id != tt.id {
				t.Fatalf("FromHeader = %q, %v (%s); want %q (%s)", id, err, k, tt.id, tt.kind)
			}
		})
	}
}

// TestExtractorConstructorsRefuseBadArguments: a header or parameter
// name that can never match panics at once (a constant of the program);
// a domain or a host table, which come from configuration, is an error
// naming the entry.
func TestExtractorConstructorsRefuseBadArguments(t *testing.T) {
	panics := []struct {
		name string
		f    func()
		want string
	}{
		{"empty header", func() { tenantchi.FromHeader("") }, `tenantchi: FromHeader(""): not a valid header name`},
		{"header with space", func() { tenantchi.FromHeader("X Tenant") }, `tenantchi: FromHeader("X Tenant"): not a valid header name`},
		{"header with colon", func() { tenantchi.FromHeader("X-Tenant:") }, `tenantchi: FromHeader("X-Tenant:"): not a valid header name`},
		{"empty param", func() { tenantchi.FromURLParam("") }, `tenantchi: FromURLParam(""): needs a parameter name`},
	}
	for _, tt := range panics {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != tt.want {
					t.Fatalf("panic %v, want %q", r, tt.want)
				}
			}()
			tt.f()
		})
	}
	errs := []struct {
		name string
		f    func() (tenantchi.Extractor, error)
		want string
	}{
		{"empty base", func() (tenantchi.Extractor, error) { return tenantchi.FromSubdomain("") }, `tenantchi: FromSubdomain(""): empty`},
		{"base with slash", func() (tenantchi.Extractor, error) { return tenantchi.FromSubdomain("example.com/x") },
			`tenantchi: FromSubdomain("example.com/x"): character not allowed in a host name`},
		{"leading dot", func() (tenantchi.Extractor, error) { return tenantchi.FromSubdomain(".example.com") },
			`tenantchi: FromSubdomain(".example.com"): empty label`},
		{"IPv6 base", func() (tenantchi.Extractor, error) { return tenantchi.FromSubdomain("[::1]") },
			`tenantchi: FromSubdomain("[::1]"): an IPv6 literal has no subdomains`},
		{"bad key", func() (tenantchi.Extractor, error) {
			return tenantchi.FromHostMap(map[string]string{"shop.acme.com": "acme", "bad host": "beta"})
		}, `tenantchi: FromHostMap: key "bad host": character not allowed in a host name`},
		{"bad id", func() (tenantchi.Extractor, error) {
			return tenantchi.FromHostMap(map[string]string{"shop.acme.com": "../acme"})
		}, `tenantchi: FromHostMap: key "shop.acme.com": tenant: invalid tenant id: "../acme" contains ".."`},
		{"two tenants for one host", func() (tenantchi.Extractor, error) {
			return tenantchi.FromHostMap(map[string]string{"Shop.Acme.com:443": "acme", "shop.acme.com.": "beta"})
		}, `tenantchi: FromHostMap: keys "Shop.Acme.com:443" and "shop.acme.com." are both host "shop.acme.com", for tenants "acme" and "beta"`},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := tt.f()
			if err == nil || err.Error() != tt.want || ex != nil {
				t.Fatalf("err = %v, want %q and no extractor", err, tt.want)
			}
		})
	}
	if _, err := tenantchi.FromHostMap(map[string]string{"shop.acme.com": "acme", "SHOP.ACME.COM:8443": "acme"}); err != nil {
		t.Fatalf("two spellings of one host for one tenant: %v", err)
	}
}

// TestFromSubdomain: the label just below the base domain; the base
// itself, deeper hosts and other domains find none.
func TestFromSubdomain(t *testing.T) {
	ex, err := tenantchi.FromSubdomain("Example.COM.")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		kind string
		id   string
	}{
		{"acme.example.com", found, "acme"},
		{"ACME.example.com:8443", found, "acme"},
		{"acme.example.com.", found, "acme"},
		{"xn--hpital-dva.example.com", found, "xn--hpital-dva"},
		{"example.com", none, ""},
		{"example.com:80", none, ""},
		{"a.b.example.com", none, ""},
		{"acme.example.org", none, ""},
		{"acmeexample.com", none, ""},
		{"[::1]:80", none, ""},
		{"", none, ""},
		{"..example.com", malformed, ""},
		{"ac/me.example.com", malformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Host = tt.host
			id, err := ex(req)
			if k := kindOf(t, err); k != tt.kind || id != tt.id {
				t.Fatalf("FromSubdomain = %q, %v (%s); want %q (%s)", id, err, k, tt.id, tt.kind)
			}
		})
	}
}

// TestFromHostMap: hosts normalised as FromHost does, on both sides;
// the table is a copy.
func TestFromHostMap(t *testing.T) {
	m := map[string]string{"Shop.Acme.com": "acme", "acme.example.net:8443": "acme", "[2001:db8::1]": "beta", "beta.test.": "beta"}
	ex, err := tenantchi.FromHostMap(m)
	if err != nil {
		t.Fatal(err)
	}
	m["other.test"] = "acme" // not seen
	tests := []struct {
		host string
		kind string
		id   string
	}{
		{"shop.acme.com", found, "acme"},
		{"SHOP.acme.com.:443", found, "acme"},
		{"acme.example.net", found, "acme"},
		{"[2001:DB8:0::1]:8080", found, "beta"},
		{"beta.test", found, "beta"},
		{"other.test", none, ""},
		{"acme", none, ""},
		{"", none, ""},
		{"shop..acme.com", malformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Host = tt.host
			id, err := ex(req)
			if k := kindOf(t, err); k != tt.kind || id != tt.id {
				t.Fatalf("FromHostMap = %q, %v (%s); want %q (%s)", id, err, k, tt.id, tt.kind)
			}
		})
	}
}
