package tenantchi_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
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
			mw, err := tenantchi.Middleware(reg, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			h := mw(next)
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

// TestMiddlewareRefusesBadOption: an invalid option is an error at
// construction that names it, and no middleware is returned; none of
// them panics, now or on a request.
func TestMiddlewareRefusesBadOption(t *testing.T) {
	ok := func(*http.Request) (string, error) { return "a", nil }
	tests := []struct {
		name string
		opts []tenantchi.Option
		want string
	}{
		{"no extractor", []tenantchi.Option{tenantchi.WithExtractors()}, "tenantchi: WithExtractors(): "},
		{"nil extractor", []tenantchi.Option{tenantchi.WithExtractors(ok, nil)}, "tenantchi: WithExtractors: extractor 1 is nil"},
		{"empty path", []tenantchi.Option{tenantchi.WithWhitelist("/healthz", "")}, `tenantchi: WithWhitelist(""): `},
		{"relative path", []tenantchi.Option{tenantchi.WithWhitelist("static")}, `tenantchi: WithWhitelist("static"): `},
		{"inner star", []tenantchi.Option{tenantchi.WithWhitelist("/static*")}, `tenantchi: WithWhitelist("/static*"): `},
		{"nil error handler", []tenantchi.Option{tenantchi.WithErrorHandler(nil)}, "tenantchi: WithErrorHandler(nil): "},
		{"nil option", []tenantchi.Option{tenantchi.WithWhitelist("/healthz"), nil}, "tenantchi: option 1 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := tenantchi.Middleware(registry{"a": true}, tt.opts...)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to start with %q", err, tt.want)
			}
			if mw != nil {
				t.Fatal("middleware returned with the error")
			}
		})
	}
}

// TestMiddlewareRefusesNilRegistry: a nil registry, typed or not, is an
// error at construction naming its type, rather than a failure on the
// first request.
func TestMiddlewareRefusesNilRegistry(t *testing.T) {
	tests := []struct {
		name string
		reg  tenantchi.Registry
		want string
	}{
		{"untyped nil", nil, "tenantchi: Middleware needs a Registry, got nil"},
		{"typed nil resolver", (*resolver.Resolver)(nil), "tenantchi: Middleware needs a Registry, got a nil *resolver.Resolver"},
		{"typed nil map", registry(nil), "tenantchi: Middleware needs a Registry, got a nil tenantchi_test.registry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := tenantchi.Middleware(tt.reg)
			if err == nil || err.Error() != tt.want || mw != nil {
				t.Fatalf("err = %v, want %q and no middleware", err, tt.want)
			}
		})
	}
}

// TestMiddlewareErrorHandler: the handler given receives each refusal
// with its status and an error saying why.
func TestMiddlewareErrorHandler(t *testing.T) {
	type call struct {
		status int
		err    error
	}
	var got []call
	mw, err := tenantchi.Middleware(registry{"a": true},
		tenantchi.WithExtractors(tenantchi.FromHeader("X-Tenant")),
		tenantchi.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, status int, err error) {
			got = append(got, call{status, err})
			w.WriteHeader(status)
		}))
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("next reached") }))
	for _, id := range []string{"", "../x", "b"} {
		req := httptest.NewRequest(http.MethodGet, "http://x/", nil)
		req.Header.Set("X-Tenant", id)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	if len(got) != 3 ||
		got[0].status != 400 || !errors.Is(got[0].err, tenantchi.ErrNoTenantInRequest) ||
		got[1].status != 400 || !errors.Is(got[1].err, tenant.ErrInvalidID) ||
		got[2].status != 404 || !errors.Is(got[2].err, tenant.ErrUnknown) {
		t.Fatalf("error handler calls = %+v", got)
	}
}
