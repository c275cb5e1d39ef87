package tenantchi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/go-chi/chi/v5"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// hello answers with the request's tenant.
func hello(w http.ResponseWriter, r *http.Request) {
	id, ok := tenant.FromContext(r.Context())
	if !ok {
		id = "no tenant"
	}
	fmt.Fprintf(w, "hello %s", id)
}

// show serves a GET of url with h and prints the answer.
func show(h http.Handler, url string, header ...string) {
	req := httptest.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
}

// ExampleMiddleware takes the tenant from the request's host, the
// default; a host that names no registered tenant gets 404 with a JSON
// body, which a missing route does not have.
func ExampleMiddleware() {
	mw, err := tenantchi.Middleware(registry{"tenant-1.localhost": true})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := chi.NewRouter()
	r.Use(mw)
	r.Get("/", hello)

	show(r, "http://Tenant-1.localhost:8000/")
	show(r, "http://tenant-2.localhost/")
	show(r, "http://tenant-1.localhost/missing")
	// Output:
	// 200 hello tenant-1.localhost
	// 404 {"error":"unknown tenant"}
	// 404 404 page not found
}

// ExampleWithExtractors takes the tenant from the X-Tenant header, and
// from the host when the header is absent. Any client can send a
// header: use one only behind a proxy that sets it.
func ExampleWithExtractors() {
	mw, err := tenantchi.Middleware(registry{"acme": true, "beta": true},
		tenantchi.WithExtractors(tenantchi.FromHeader("X-Tenant"), tenantchi.FromHost))
	if err != nil {
		fmt.Println(err)
		return
	}
	h := mw(http.HandlerFunc(hello)) // a plain net/http handler
	show(h, "http://acme/", "X-Tenant", "beta")
	show(h, "http://acme/")
	show(h, "http://acme/", "X-Tenant", "../beta")
	// Output:
	// 200 hello beta
	// 200 hello acme
	// 400 {"error":"invalid tenant"}
}

// ExampleFromSubdomain serves each tenant on a subdomain of one base
// domain, and the base domain itself without a tenant (a bypass).
func ExampleFromSubdomain() {
	sub, err := tenantchi.FromSubdomain("example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	mw, err := tenantchi.Middleware(registry{"acme": true},
		tenantchi.WithExtractors(sub),
		tenantchi.WithBypass(func(r *http.Request) bool { return r.Host == "example.com" }))
	if err != nil {
		fmt.Println(err)
		return
	}
	h := mw(http.HandlerFunc(hello))
	show(h, "http://acme.example.com/")
	show(h, "http://example.com/")
	show(h, "http://www.acme.example.com/")
	// Output:
	// 200 hello acme
	// 200 hello no tenant
	// 400 {"error":"no tenant in request"}
}

// ExampleFromHostMap serves tenants on domains of their own, and the
// others on subdomains.
func ExampleFromHostMap() {
	custom, err := tenantchi.FromHostMap(map[string]string{"shop.acme.com": "acme", "www.acme.com": "acme"})
	if err != nil {
		fmt.Println(err)
		return
	}
	sub, err := tenantchi.FromSubdomain("example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	mw, err := tenantchi.Middleware(registry{"acme": true, "beta": true}, tenantchi.WithExtractors(custom, sub))
	if err != nil {
		fmt.Println(err)
		return
	}
	h := mw(http.HandlerFunc(hello))
	show(h, "http://WWW.acme.com/")
	show(h, "http://beta.example.com/")
	// Output:
	// 200 hello acme
	// 200 hello beta
}

// ExampleFromURLParam takes the tenant from the path. chi sets the
// parameter while routing, so the middleware is mounted inside the
// r.Route group that declares it (or with r.With), not with a top-level
// r.Use.
func ExampleFromURLParam() {
	mw, err := tenantchi.Middleware(registry{"acme": true},
		tenantchi.WithExtractors(tenantchi.FromURLParam("tenant")))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := chi.NewRouter()
	r.Route("/t/{tenant}", func(r chi.Router) {
		r.Use(mw)
		r.Get("/orders", hello)
	})
	show(r, "http://any/t/acme/orders")
	show(r, "http://any/t/beta/orders")
	// Output:
	// 200 hello acme
	// 404 {"error":"unknown tenant"}
}

// ExampleWithBypassPatterns lets chosen routes through without a
// tenant, matched by the route chi serves, however the path is
// written. It works with a top-level r.Use: the route is looked up
// before chi routes the request.
func ExampleWithBypassPatterns() {
	mw, err := tenantchi.Middleware(registry{"acme": true},
		tenantchi.WithBypassPatterns("/healthz", "/admin/*"))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := chi.NewRouter()
	r.Use(mw)
	r.Get("/healthz", hello)
	r.Get("/orders/{id}", hello)
	r.Route("/admin", func(r chi.Router) {
		r.Get("/tenants/{id}", hello)
	})
	show(r, "http://10.0.0.7/healthz")
	show(r, "http://10.0.0.7/admin/tenants/acme")
	show(r, "http://10.0.0.7/orders/1")
	show(r, "http://acme/orders/1")
	// Output:
	// 200 hello no tenant
	// 200 hello no tenant
	// 404 {"error":"unknown tenant"}
	// 200 hello acme
}

// ExampleWithBypass lets requests through without a tenant by a
// predicate: here the load balancer's probes.
func ExampleWithBypass() {
	mw, err := tenantchi.Middleware(registry{"acme": true},
		tenantchi.WithBypass(func(r *http.Request) bool { return r.Header.Get("User-Agent") == "probe/1.0" }))
	if err != nil {
		fmt.Println(err)
		return
	}
	h := mw(http.HandlerFunc(hello))
	show(h, "http://10.0.0.7/", "User-Agent", "probe/1.0")
	show(h, "http://10.0.0.7/")
	// Output:
	// 200 hello no tenant
	// 404 {"error":"unknown tenant"}
}

// Example_subRouter mounts the middleware on the routes that need a
// tenant only: routes outside the group never see it.
func Example_subRouter() {
	mw, err := tenantchi.Middleware(registry{"acme": true})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := chi.NewRouter()
	r.Get("/login", hello) // central, no tenant
	r.Group(func(r chi.Router) {
		r.Use(mw)
		r.Get("/orders", hello)
	})
	show(r, "http://localhost/login")
	show(r, "http://localhost/orders")
	show(r, "http://acme/orders")
	// Output:
	// 200 hello no tenant
	// 404 {"error":"unknown tenant"}
	// 200 hello acme
}

// ExampleWithErrorHandler renders refusals as a page of the
// application's own, and an unknown tenant as a redirect to sign-up.
func ExampleWithErrorHandler() {
	mw, err := tenantchi.Middleware(registry{"acme": true},
		tenantchi.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, status int, err error) {
			if status == http.StatusNotFound {
				http.Redirect(w, r, "https://example.com/signup", http.StatusFound)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(status)
			fmt.Fprintln(w, "This address does not name a workspace.")
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	h := mw(http.HandlerFunc(hello))
	show(h, "http://nobody/")
	show(h, "http://a..b/")
	// Output:
	// 302 <a href="https://example.com/signup">Found</a>.
	// 400 This address does not name a workspace.
}

// ExampleNormalizeHost writes an extractor of one's own: the host that
// a trusted proxy forwards in X-Forwarded-Host, normalised and checked
// as FromHost does with the Host header. An absent header finds no
// tenant.
func ExampleNormalizeHost() {
	forwarded := func(r *http.Request) (string, error) {
		return tenantchi.NormalizeHost(r.Header.Get("X-Forwarded-Host"))
	}
	mw, err := tenantchi.Middleware(registry{"acme.example.com": true}, tenantchi.WithExtractors(forwarded))
	if err != nil {
		fmt.Println(err)
		return
	}
	h := mw(http.HandlerFunc(hello))
	show(h, "http://10.0.0.2/", "X-Forwarded-Host", "ACME.example.com:443")
	show(h, "http://10.0.0.2/", "X-Forwarded-Host", "acme.example.com, evil.example")
	show(h, "http://10.0.0.2/")
	// Output:
	// 200 hello acme.example.com
	// 400 {"error":"invalid tenant"}
	// 400 {"error":"no tenant in request"}
}
