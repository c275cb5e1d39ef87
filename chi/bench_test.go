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

// benchResolver is a real resolver with 200 tenants: acme00 to acme99,
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
// the same chi router without it, in the same run. Each iteration serves
// one request through each of three routers (so ns/op counts all three):
// bare chi, chi with chi's own middleware.WithValue (the least any
// middleware that puts a value in the request's context costs: the
// request's copy and one context), and chi with this middleware. They
// alternate in blocks of 64 requests, in a rotating order, so that they
// share the machine's noise. The metrics are per request: bare-ns/op,
// floor-ns/op and tenant-ns/op; overhead-ns/op (tenant - bare) and
// floor-overhead-ns/op (floor - bare); the allocations of each, counted
// with testing.AllocsPerRun, and overhead-allocs/op. The registry is a
// real *resolver.Resolver with 200 tenants.
func BenchmarkMiddleware(b *testing.B) {
	res := benchResolver(b)
	sub, err := tenantchi.FromSubdomain("example.com")
	if err != nil {
		b.Fatal(err)
	}
	variants := []struct {
		name string
		opts []tenantchi.Option
	}{
		{"host", nil},
		{"subdomain", []tenantchi.Option{tenantchi.WithExtractors(sub)}},
		{"whitelist", []tenantchi.Option{tenantchi.WithWhitelist("/healthz", "/static/*")}},
		{"bypass-patterns", []tenantchi.Option{tenantchi.WithBypassPatterns("/healthz", "/admin/*")}},
		// a pattern the path starts like: the route is looked up
		{"bypass-patterns-lookup", []tenantchi.Option{tenantchi.WithBypassPatterns("/healthz", "/items/{id}/audit")}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			mw, err := tenantchi.Middleware(res, v.opts...)
			if err != nil {
				b.Fatal(err)
			}
			routers := [3]http.Handler{
				benchRouter(nil),
				benchRouter(chimw.WithValue(benchKey{}, "acme42.example.com")),
				benchRouter(mw),
			}
			req := httptest.NewRequest(http.MethodGet, "/items/42", nil)
			req.Host = "acme42.example.com:8080"
			// The tenant's request must be served, not refused.
			rec := httptest.NewRecorder()
			if routers[2].ServeHTTP(rec, req); rec.Code != 200 {
				b.Fatalf("tenant router answers %d %q", rec.Code, rec.Body)
			}
			w := &nopWriter{h: http.Header{}}
			var allocs [3]float64
			for k, h := range routers {
				allocs[k] = testing.AllocsPerRun(1000, func() { h.ServeHTTP(w, req) })
			}

			const block = 64
			var spent [3]time.Duration
			b.ResetTimer()
			for i, turn := 0, 0; i < b.N; i, turn = i+block, turn+1 {
				n := min(block, b.N-i)
				for k := range 3 {
					j := (k + turn) % 3
					start := time.Now()
					for range n {
						routers[j].ServeHTTP(w, req)
					}
					spent[j] += time.Since(start)
				}
			}
			b.StopTimer()
			var ns [3]float64
			for k := range ns {
				ns[k] = float64(spent[k].Nanoseconds()) / float64(b.N)
			}
			b.ReportMetric(ns[0], "bare-ns/op")
			b.ReportMetric(ns[1], "floor-ns/op")
			b.ReportMetric(ns[2], "tenant-ns/op")
			b.ReportMetric(ns[2]-ns[0], "overhead-ns/op")
			b.ReportMetric(ns[1]-ns[0], "floor-overhead-ns/op")
			b.ReportMetric(allocs[0], "bare-allocs/op")
			b.ReportMetric(allocs[1], "floor-allocs/op")
			b.ReportMetric(allocs[2], "tenant-allocs/op")
			b.ReportMetric(allocs[2]-allocs[0], "overhead-allocs/op")
		})
	}
}
