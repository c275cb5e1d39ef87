package tenantchi_test

import (
	"net/http"
	"strings"
	"testing"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/resolver"
)

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
		{"nil bypass", []tenantchi.Option{tenantchi.WithBypass(nil)}, "tenantchi: WithBypass(nil): "},
		{"relative pattern", []tenantchi.Option{tenantchi.WithBypassPatterns("/healthz", "admin/*")}, `tenantchi: WithBypassPatterns("admin/*"): `},
		{"empty pattern", []tenantchi.Option{tenantchi.WithBypassPatterns("")}, `tenantchi: WithBypassPatterns(""): `},
		{"inner star pattern", []tenantchi.Option{tenantchi.WithBypassPatterns("/a/*/b")}, `tenantchi: WithBypassPatterns("/a/*/b"): `},
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
