package tenantchi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	gochi "github.com/go-chi/chi/v5"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/tenant"
)

type registry map[string]bool

func (r registry) Has(id string) bool { return r[id] }

func Example() {
	r := gochi.NewRouter()
	r.Use(tenantchi.Middleware(registry{"tenant-1.localhost": true}, tenantchi.WithWhitelist("/healthz")))
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
	// 404 Not Found
	//
	// 200 ok
}
