package tenantchi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// nopWriter is a ResponseWriter that keeps nothing, so that the
// benchmark measures the routers.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

type benchKey struct{}

// benchRouter is a small application's router, with mw mounted with a
// top-level r.Use when it is not nil.
func benchRouter(mw func(http.Handler) http.Handler) http.Handler {
	h := func(http.ResponseWriter, *http.Request) {}
	r := chi.NewRouter()
	if mw != nil {
		r.Use(mw)
	}
	r.Get("/", h)
	r.Get("/healthz", h)
	r.Get("/items", h)
	r.Get("/items/{id}", h)
	r.Post("/items", h)
	r.Route("/admin", func(r chi.Router) {
		r.Get("/", h)
		r.Get("/tenants/{id}", h)
	})
	return r
}

// benchResolver is a real resolver with 100 tenants acme00 to acme99,
// each also as acme00.example.com and so on (no database is opened: only
// Has is asked).
func benchResolver(b *testing.B) *resolver.Resolver {
	res, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName, DSN: "?_pragma=busy_timeout(5000)"},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = res.Close() })
	dir := b.TempDir()
	for i := range 100 {
		for _, id := range []string{fmt.Sprintf("acme%02d", i), fmt.Sprintf("acme%02d.example.com", i)} {
			db := tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, id+".db")}, Version: 1}
			if err := res.Set(context.Background(), id, db); err != nil {
				b.Fatal(err)
			}
		}
	}
	return res
}

// BenchmarkMiddleware measures the middleware's cost per request next to
// the same chi router without it, in the same run: each iteration serves
// one request through each router (so ns/op counts both), the two
// alternating in blocks of 64 requests, either one first in turn, so
// that they share the machine's noise. The metrics are per request:
// bare-ns/op and tenant-ns/op, their difference overhead-ns/op, and the
// allocations of each (counted with testing.AllocsPerRun) and their
// difference overhead-allocs/op. The registry is a real
// *resolver.Resolver with 100 tenants. The floor-chi-WithValue variant
// measures chi's middleware.WithValue instead, for reference.
func BenchmarkMiddleware(b *testing.B) {
	res := benchResolver(b)
	sub, err := tenantchi.FromSubdomain("example.com")
	if err != nil {
		b.Fatal(err)
	}
	variants := []struct {
		name string
		opts []tenantchi.Option
		host string
	}{
		// chi's own middleware.WithValue in place of this middleware: the
		// least any middleware that sets a context value costs (the
		// request's copy and one context).
		{"floor-chi-WithValue", nil, "acme42.example.com:8080"},
		{"host", nil, "acme42.example.com:8080"},
		{"subdomain", []tenantchi.Option{tenantchi.WithExtractors(sub)}, "acme42.example.com:8080"},
		{"whitelist", []tenantchi.Option{tenantchi.WithWhitelist("/healthz", "/static/*")}, "acme42.example.com:8080"},
		{"bypass-patterns", []tenantchi.Option{tenantchi.WithBypassPatterns("/healthz", "/admin/*")}, "acme42.example.com:8080"},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			mw, err := tenantchi.Middleware(res, v.opts...)
			if err != nil {
				b.Fatal(err)
			}
			if v.name == "floor-chi-WithValue" {
				mw = chimw.WithValue(benchKey{}, "acme42.example.com")
			}
			bare, tenant := benchRouter(nil), benchRouter(mw)
			req := httptest.NewRequest(http.MethodGet, "/items/42", nil)
			req.Host = v.host
			w := &nopWriter{h: http.Header{}}
			// The tenant's request must be served, not refused.
			if rec := httptest.NewRecorder(); func() int { tenant.ServeHTTP(rec, req); return rec.Code }() != 200 {
				b.Fatalf("tenant router answers %d %q", rec.Code, rec.Body)
			}
			bareAllocs := testing.AllocsPerRun(1000, func() { bare.ServeHTTP(w, req) })
			tenantAllocs := testing.AllocsPerRun(1000, func() { tenant.ServeHTTP(w, req) })

			const block = 64
			var bareT, tenantT time.Duration
			b.ResetTimer()
			for i, turn := 0, 0; i < b.N; i, turn = i+block, turn+1 {
				n := min(block, b.N-i)
				routers := [2]http.Handler{bare, tenant}
				spent := [2]*time.Duration{&bareT, &tenantT}
				for k := range 2 {
					j := (k + turn) % 2
					start := time.Now()
					for range n {
						routers[j].ServeHTTP(w, req)
					}
					*spent[j] += time.Since(start)
				}
			}
			b.StopTimer()
			bareNs := float64(bareT.Nanoseconds()) / float64(b.N)
			tenantNs := float64(tenantT.Nanoseconds()) / float64(b.N)
			b.ReportMetric(bareNs, "bare-ns/op")
			b.ReportMetric(tenantNs, "tenant-ns/op")
			b.ReportMetric(tenantNs-bareNs, "overhead-ns/op")
			b.ReportMetric(bareAllocs, "bare-allocs/op")
			b.ReportMetric(tenantAllocs, "tenant-allocs/op")
			b.ReportMetric(tenantAllocs-bareAllocs, "overhead-allocs/op")
		})
	}
}
