package tenantchi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
)

func TestMiddleware(t *testing.T) {
	reg := registry{"acme.example.com": true, "beta": true}
	var reached string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := tenant.FromContext(r.Context())
		if !ok {
			id = "<none>"
		}
		reached = id
	})
	tests := []struct {
		name   string
		opts   []tenantchi.Option
		host   string
		path   string
		header string
		code   int
		tenant string // "" when next must not run
	}{
		{"host", nil, "ACME.example.com:8080", "/", "", 200, "acme.example.com"},
		{"unknown host", nil, "other.example.com", "/", "", 404, ""},
		{"bad id", nil, "a..b", "/", "", 400, ""},
		{"whitelisted", []tenantchi.Option{tenantchi.WithWhitelist("/static/*")}, "other", "/static/app.js", "", 200, "<none>"},
		{"whitelist prefix only", []tenantchi.Option{tenantchi.WithWhitelist("/static/*")}, "other", "/staticx", "", 404, ""},
		{"header", []tenantchi.Option{tenantchi.WithExtractors(tenantchi.FromHeader("X-Tenant"))}, "other", "/", "beta", 200, "beta"},
		{"missing header", []tenantchi.Option{tenantchi.WithExtractors(tenantchi.FromHeader("X-Tenant"))}, "acme.example.com", "/", "", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached = ""
			h := tenantchi.Middleware(reg, tt.opts...)(next)
			req := httptest.NewRequest(http.MethodGet, "http://x"+tt.path, nil)
			req.Host = tt.host
			if tt.header != "" {
				req.Header.Set("X-Tenant", tt.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.code || reached != tt.tenant {
				t.Fatalf("code %d, reached %q; want %d, %q", rec.Code, reached, tt.code, tt.tenant)
			}
		})
	}
}

func TestMiddlewarePanicsOnBadSetup(t *testing.T) {
	for name, f := range map[string]func(){
		"nil registry":   func() { tenantchi.Middleware(nil) },
		"no extractor":   func() { tenantchi.Middleware(registry{}, tenantchi.WithExtractors()) },
		"relative white": func() { tenantchi.Middleware(registry{}, tenantchi.WithWhitelist("static")) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

// TestMiddlewareRefusesNilRegistry: a nil registry, typed or not, fails
// at construction rather than on the first request.
func TestMiddlewareRefusesNilRegistry(t *testing.T) {
	tests := []struct {
		name string
		reg  tenantchi.Registry
	}{
		{"untyped nil", nil},
		{"typed nil resolver", (*resolver.Resolver)(nil)},
		{"typed nil map", registry(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("Middleware accepted a nil registry")
				}
			}()
			tenantchi.Middleware(tt.reg)
		})
	}
}
