package tenantchi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"go.uber.org/goleak"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/tenant"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// registry is a Registry over a fixed set of tenants.
type registry map[string]bool

func (r registry) Has(id string) bool { return r[id] }

// countingRegistry is a Registry that records every id it is asked
// about.
type countingRegistry struct {
	tenants registry
	mu      sync.Mutex
	asked   []string
}

func (c *countingRegistry) Has(id string) bool {
	c.mu.Lock()
	c.asked = append(c.asked, id)
	c.mu.Unlock()
	return c.tenants[id]
}

func (c *countingRegistry) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.asked
	c.asked = nil
	return a
}

// recorder is the next handler of the tests: it counts its calls and
// answers 200 "ok <tenant>" ("-" for a request with no tenant),
// followed by chi's route pattern when chi routed the request.
type recorder struct {
	mu    sync.Mutex
	calls int
}

func (h *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.calls++
	h.mu.Unlock()
	id, ok := tenant.FromContext(r.Context())
	if !ok {
		id = "-"
	}
	body := "ok " + id
	if p := chi.RouteContext(r.Context()).RoutePattern(); p != "" {
		body += " " + p
	}
	_, _ = io.WriteString(w, body)
}

func (h *recorder) take() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.calls
	h.calls = 0
	return n
}

// do serves a request for target (a path, or an absolute URL) with host
// as r.Host, and returns the response.
func do(h http.Handler, host, target string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "http://placeholder"+target, nil)
	req.Host = host
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// mustMiddleware builds the middleware or fails the test.
func mustMiddleware(t testing.TB, reg tenantchi.Registry, opts ...tenantchi.Option) func(http.Handler) http.Handler {
	t.Helper()
	mw, err := tenantchi.Middleware(reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return mw
}
