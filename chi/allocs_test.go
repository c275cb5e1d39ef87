package tenantchi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// TestMiddlewareAllocatesOnce: a request for a known tenant costs one
// allocation more than the bare router (the request's copy and its
// context, allocated together), and its handler sees the tenant.
func TestMiddlewareAllocatesOnce(t *testing.T) {
	mw, err := tenantchi.Middleware(registry{"acme.example.com": true})
	if err != nil {
		t.Fatal(err)
	}
	var seen string
	h := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seen, _ = tenant.FromContext(r.Context()) })
	bare, with := http.Handler(h), mw(h)
	req := httptest.NewRequest(http.MethodGet, "/items/42", nil)
	req.Host = "acme.example.com:8080"
	w := httptest.NewRecorder()
	with.ServeHTTP(w, req) // the tenant's context is cached on first sight
	if seen != "acme.example.com" || w.Code != http.StatusOK {
		t.Fatalf("handler saw tenant %q, status %d", seen, w.Code)
	}
	a := testing.AllocsPerRun(200, func() { bare.ServeHTTP(w, req) })
	b := testing.AllocsPerRun(200, func() { with.ServeHTTP(w, req) })
	if b-a > 1 {
		t.Fatalf("the middleware allocates %.0f times per request, want at most 1", b-a)
	}
}
