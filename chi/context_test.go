package tenantchi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/tenant"
)

type ctxKey struct{}

// TestRequestContext: the handler's context carries the tenant as
// tenant.NewContext would, and everything of the request's context: its
// values, its deadline, its cancellation and cause. The innermost tenant
// wins in both directions.
func TestRequestContext(t *testing.T) {
	var got context.Context
	h := mustMiddleware(t, registry{"acme": true})(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = r.Context()
	}))
	deadline := time.Now().Add(time.Hour)
	parent, cancelDeadline := context.WithDeadline(context.WithValue(context.Background(), ctxKey{}, "v"), deadline)
	defer cancelDeadline()
	parent = tenant.NewContext(parent, "outer") // a tenant set before: replaced
	parent, cancel := context.WithCancelCause(parent)
	req := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(parent)
	req.Host = "acme"
	h.ServeHTTP(httptest.NewRecorder(), req)

	if id, ok := tenant.FromContext(got); !ok || id != "acme" {
		t.Fatalf("tenant %q, %v; want acme", id, ok)
	}
	if v := got.Value(ctxKey{}); v != "v" {
		t.Fatalf("request value %v, want v", v)
	}
	if d, ok := got.Deadline(); !ok || !d.Equal(deadline) {
		t.Fatalf("deadline %v, %v; want %v", d, ok, deadline)
	}
	child, cancelChild := context.WithCancel(got)
	defer cancelChild()
	if id, _ := tenant.FromContext(tenant.NewContext(child, "inner")); id != "inner" {
		t.Fatalf("tenant set below the middleware's: %q, want inner", id)
	}
	if got.Err() != nil || child.Err() != nil {
		t.Fatal("context done before its request's")
	}
	cause := errors.New("client gone")
	cancel(cause)
	select {
	case <-child.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a context derived from the handler's is not cancelled with the request's")
	}
	if !errors.Is(got.Err(), context.Canceled) || !errors.Is(context.Cause(child), cause) {
		t.Fatalf("Err %v, Cause %v; want Canceled, %v", got.Err(), context.Cause(child), cause)
	}
	if id, _ := tenant.FromContext(got); id != "acme" {
		t.Fatalf("tenant after cancel %q", id)
	}
}

// TestRequestContextManyTenants: more tenants than the middleware keeps
// ready-made contexts for, served at once: each request carries its own
// tenant.
func TestRequestContextManyTenants(t *testing.T) {
	const n = 1500
	reg := registry{}
	for i := range n {
		reg[fmt.Sprintf("t%04d", i)] = true
	}
	h := mustMiddleware(t, reg)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := tenant.FromContext(r.Context())
		fmt.Fprint(w, id)
	}))
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			for round := range 2 {
				for i := g; i < n; i += 4 {
					id := fmt.Sprintf("t%04d", (i+round*7)%n)
					if rec := do(h, id, "/", nil); rec.Code != 200 || rec.Body.String() != id {
						errs <- fmt.Errorf("host %s: %d %q", id, rec.Code, rec.Body)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestMiddlewareAllocations: a request for a known tenant costs, over
// the next handler's own, one allocation: the request's copy and its
// context together; nothing for the host, the id check or the registry.
func TestMiddlewareAllocations(t *testing.T) {
	h := mustMiddleware(t, registry{"acme.example.com": true})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Host = "acme.example.com:8080"
	w := httptest.NewRecorder()
	if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, req) }); n != 1 {
		t.Fatalf("%v allocations per request, want 1", n)
	}
	// Refusals allocate nothing but what the error handler does.
	quiet := func(http.ResponseWriter, *http.Request, int, error) {}
	h = mustMiddleware(t, registry{}, tenantchi.WithErrorHandler(quiet))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, req) }); n != 1 {
		t.Fatalf("%v allocations per unknown tenant, want 1 (the *tenant.Error)", n)
	}
}
