package tenantchi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	gochi "github.com/go-chi/chi/v5"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// ExampleMiddleware takes the tenant from the request's host; a host
// that names no registered tenant gets 404, and /healthz needs no
// tenant.
func ExampleMiddleware() {
	mw, err := tenantchi.Middleware(registry{"tenant-1.localhost": true}, tenantchi.WithWhitelist("/healthz"))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := gochi.NewRouter()
	r.Use(mw)
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		id, _ := tenant.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s", id)
	})
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })

	for _, url := range []string{"http://tenant-1.localhost:8000/", "http://tenant-2.localhost/", "http://anything/healthz"} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 200 hello tenant-1.localhost
	// 404 {"error":"unknown tenant"}
	//
	// 200 ok
}

// ExampleWithExtractors takes the tenant from the X-Tenant header, and
// from the host when the header is absent.
func ExampleWithExtractors() {
	mw, err := tenantchi.Middleware(registry{"acme": true, "beta": true},
		tenantchi.WithExtractors(tenantchi.FromHeader("X-Tenant"), tenantchi.FromHost))
	if err != nil {
		fmt.Println(err)
		return
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := tenant.FromContext(r.Context())
		fmt.Fprint(w, id)
	}))
	withHeader := httptest.NewRequest(http.MethodGet, "http://acme/", nil)
	withHeader.Header.Set("X-Tenant", "beta")
	for _, req := range []*http.Request{withHeader, httptest.NewRequest(http.MethodGet, "http://acme/", nil)} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}

	_, err = tenantchi.Middleware(registry{}, tenantchi.WithWhitelist("healthz"))
	fmt.Println(err)
	// Output:
	// 200 beta
	// 200 acme
	// tenantchi: WithWhitelist("healthz"): path does not start with /
}
