package tenantchi_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// TestDefaultRefusals: each refusal's status, body and headers; an
// unknown tenant's 404 is told from chi's missing route by its body.
func TestDefaultRefusals(t *testing.T) {
	r := chi.NewRouter()
	r.Use(mustMiddleware(t, registry{"acme": true}))
	r.Get("/", (&recorder{}).ServeHTTP)
	tests := []struct {
		host, path string
		code       int
		body       string
	}{
		{"", "/", 400, noTenant},
		{"a..b", "/", 400, invalid},
		{"nobody", "/", 404, unknown},
		{"acme", "/missing", 404, "404 page not found\n"},
	}
	for _, tt := range tests {
		rec := do(r, tt.host, tt.path, nil)
		if rec.Code != tt.code || rec.Body.String() != tt.body {
			t.Errorf("%q %s: %d %q; want %d %q", tt.host, tt.path, rec.Code, rec.Body, tt.code, tt.body)
			continue
		}
		if tt.path == "/missing" {
			continue
		}
		for k, v := range map[string]string{"Content-Type": "application/json", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("%q: %s %q, want %q", tt.host, k, got, v)
			}
		}
	}
}

// TestMiddlewareErrorHandler: the handler given receives each refusal
// with its status and an error saying why, and may hand it on to
// DefaultErrorHandler.
func TestMiddlewareErrorHandler(t *testing.T) {
	type call struct {
		status int
		err    error
	}
	var got []call
	mw := mustMiddleware(t, registry{"a": true},
		tenantchi.WithExtractors(tenantchi.FromHeader("X-Tenant"), tenantchi.FromURLParam("tenant"), tenantchi.FromHost),
		tenantchi.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, status int, err error) {
			got = append(got, call{status, err})
			tenantchi.DefaultErrorHandler(w, r, status, err)
		}))
	r := chi.NewRouter()
	r.Use(mw)
	r.Get("/t/{tenant}", func(http.ResponseWriter, *http.Request) { t.Error("next reached") })
	for _, tt := range []struct{ host, header string }{{"", ""}, {"", "../x"}, {"b", ""}, {"a:x", ""}, {strings.Repeat("\x00", 500), ""}} {
		req := httptest.NewRequest(http.MethodGet, "http://x/t/zz", nil)
		req.Host = tt.host
		if tt.header != "" {
			req.Header.Set("X-Tenant", tt.header)
		}
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
	if len(got) != 5 {
		t.Fatalf("error handler calls = %+v", got)
	}
	noTenant := got[0]
	if noTenant.status != 400 || !errors.Is(noTenant.err, tenantchi.ErrNoTenantInRequest) ||
		!strings.Contains(noTenant.err.Error(), `URL parameter "tenant" is not set before chi routes the request`) ||
		!strings.Contains(noTenant.err.Error(), "no X-Tenant header") || !strings.Contains(noTenant.err.Error(), "the request has no host") {
		t.Errorf("no tenant: %d %v", noTenant.status, noTenant.err)
	}
	if c := got[1]; c.status != 400 || !errors.Is(c.err, tenant.ErrInvalidID) {
		t.Errorf("invalid header: %d %v", c.status, c.err)
	}
	var te *tenant.Error
	if c := got[2]; c.status != 404 || !errors.Is(c.err, tenant.ErrUnknown) || !errors.As(c.err, &te) || te.ID != "b" {
		t.Errorf("unknown: %d %v", c.status, c.err)
	}
	if c := got[3]; c.status != 400 || !errors.Is(c.err, tenant.ErrInvalidID) || c.err.Error() != `tenant: invalid tenant id: host "a:x": not a name and a port` {
		t.Errorf("bad port: %d %v", c.status, c.err)
	}
	if c := got[4]; c.status != 400 || len(c.err.Error()) > 400 || strings.Contains(c.err.Error(), "\x00") {
		t.Errorf("long host: %d, error of %d bytes: %q", c.status, len(c.err.Error()), c.err)
	}
}
