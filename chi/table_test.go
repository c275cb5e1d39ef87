package tenantchi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
)

// The default responses.
const (
	noTenant = `{"error":"no tenant in request"}` + "\n"
	invalid  = `{"error":"invalid tenant"}` + "\n"
	unknown  = `{"error":"unknown tenant"}` + "\n"
)

// mounts: the ways an application mounts the middleware. Each serves
// the same recorder on the routes below.
var mounts = map[string]func(mw func(http.Handler) http.Handler, next http.Handler) http.Handler{
	// plain net/http, no chi
	"plain": func(mw func(http.Handler) http.Handler, next http.Handler) http.Handler { return mw(next) },
	// a top-level r.Use: runs before chi routes
	"top": func(mw func(http.Handler) http.Handler, next http.Handler) http.Handler {
		r := chi.NewRouter()
		r.Use(mw)
		routes(r, next)
		return r
	},
	// chi's CleanPath first, then the middleware
	"top-cleanpath": func(mw func(http.Handler) http.Handler, next http.Handler) http.Handler {
		r := chi.NewRouter()
		r.Use(chimw.CleanPath, mw)
		routes(r, next)
		return r
	},
	// a middleware that makes chi route /old/... as /items/..., then the
	// middleware
	"top-rewrite": func(mw func(http.Handler) http.Handler, next http.Handler) http.Handler {
		r := chi.NewRouter()
		r.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if rest, ok := strings.CutPrefix(r.URL.Path, "/old/"); ok {
					chi.RouteContext(r.Context()).RoutePath = "/items/" + rest
				}
				next.ServeHTTP(w, r)
			})
		}, mw)
		routes(r, next)
		return r
	},
	// r.With on the tenant's routes only: runs after routing
	"with": func(mw func(http.Handler) http.Handler, next http.Handler) http.Handler {
		r := chi.NewRouter()
		r.Get("/healthz", next.ServeHTTP)
		r.With(mw).Get("/t/{tenant}/items", next.ServeHTTP)
		r.With(mw).Get("/t/{tenant}/health", next.ServeHTTP)
		return r
	},
	// r.Use inside the r.Route group that holds the parameter
	"route": func(mw func(http.Handler) http.Handler, next http.Handler) http.Handler {
		r := chi.NewRouter()
		r.Get("/healthz", next.ServeHTTP)
		r.Route("/t/{tenant}", func(r chi.Router) {
			r.Use(mw)
			r.Get("/items", next.ServeHTTP)
			r.Get("/health", next.ServeHTTP)
		})
		return r
	},
	// chi's CleanPath first, then r.Use inside the r.Route group
	"route-cleanpath": func(mw func(http.Handler) http.Handler, next http.Handler) http.Handler {
		r := chi.NewRouter()
		r.Use(chimw.CleanPath)
		r.Route("/t/{tenant}", func(r chi.Router) {
			r.Use(mw)
			r.Get("/items", next.ServeHTTP)
			r.Get("/public/*", next.ServeHTTP)
		})
		return r
	},
	// a middleware that makes chi route /a/... as /b/..., then r.Use
	// inside the /b group only
	"route-rewrite": func(mw func(http.Handler) http.Handler, next http.Handler) http.Handler {
		r := chi.NewRouter()
		r.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if rest, ok := strings.CutPrefix(r.URL.Path, "/a/"); ok {
					chi.RouteContext(r.Context()).RoutePath = "/b/" + rest
				}
				next.ServeHTTP(w, r)
			})
		})
		r.Route("/b/{tenant}", func(r chi.Router) {
			r.Use(mw)
			r.Get("/items", next.ServeHTTP)
		})
		r.Route("/a/{tenant}", func(r chi.Router) {
			r.Get("/items", next.ServeHTTP)
		})
		return r
	},
	// a group: public routes outside it need no tenant
	"group": func(mw func(http.Handler) http.Handler, next http.Handler) http.Handler {
		r := chi.NewRouter()
		r.Get("/healthz", next.ServeHTTP)
		r.Group(func(r chi.Router) {
			r.Use(mw)
			r.Get("/app", next.ServeHTTP)
		})
		return r
	},
	// a sub-router mounted on /app; /login is outside it
	"mount": func(mw func(http.Handler) http.Handler, next http.Handler) http.Handler {
		sub := chi.NewRouter()
		sub.Use(mw)
		sub.Get("/", next.ServeHTTP)
		sub.Get("/orders/{id}", next.ServeHTTP)
		r := chi.NewRouter()
		r.Get("/login", next.ServeHTTP)
		r.Mount("/app", sub)
		return r
	},
}

// routes are the routes of the "top" mounts.
func routes(r chi.Router, next http.Handler) {
	r.Get("/", next.ServeHTTP)
	r.Get("/healthz", next.ServeHTTP)
	r.Get("/items/{id}", next.ServeHTTP)
	r.Get("/static/*", next.ServeHTTP)
	r.Get("/t/{tenant}/items", next.ServeHTTP)
	r.Route("/admin", func(r chi.Router) {
		r.Get("/", next.ServeHTTP)
		r.Get("/users/{id}", next.ServeHTTP)
	})
}

// TestExtractorsAndBypasses: every extractor and every bypass, mounted
// each way an application mounts the middleware. A refused request
// never reaches the next handler, and the registry is asked only about
// well-formed ids.
func TestExtractorsAndBypasses(t *testing.T) {
	sub, err := tenantchi.FromSubdomain("example.com")
	if err != nil {
		t.Fatal(err)
	}
	hostMap, err := tenantchi.FromHostMap(map[string]string{"shop.acme.com": "acme", "www.beta.org": "beta"})
	if err != nil {
		t.Fatal(err)
	}
	header := tenantchi.WithExtractors(tenantchi.FromHeader("X-Tenant"))
	param := tenantchi.WithExtractors(tenantchi.FromURLParam("tenant"))
	apex := tenantchi.WithBypass(func(r *http.Request) bool { return r.Host == "example.com" })
	type opts = []tenantchi.Option
	tests := []struct {
		name   string
		mount  string
		opts   opts
		host   string
		target string
		hdr    string // X-Tenant
		code   int
		body   string
		asked  string // the ids the registry was asked about, comma-separated
	}{
		// FromHost, the default
		{"host", "top", nil, "ACME.Example.com.:8080", "/items/1", "", 200, "ok acme.example.com /items/{id}", "acme.example.com"},
		{"host plain", "plain", nil, "acme", "/x", "", 200, "ok acme", "acme"},
		{"host unknown", "top", nil, "nobody.example.com", "/items/1", "", 404, unknown, "nobody.example.com"},
		{"host missing", "top", nil, "", "/items/1", "", 400, noTenant, ""},
		{"host invalid", "top", nil, "a..b", "/items/1", "", 400, invalid, ""},
		{"host on a missing route", "top", nil, "nobody", "/nope", "", 404, unknown, "nobody"},
		{"route missing, tenant known", "top", nil, "acme", "/nope", "", 404, "404 page not found\n", "acme"},

		// FromHeader, opt-in
		{"header", "top", opts{header}, "whatever", "/items/1", "beta", 200, "ok beta /items/{id}", "beta"},
		{"header absent", "top", opts{header}, "acme", "/items/1", "", 400, noTenant, ""},
		{"header invalid", "top", opts{header}, "acme", "/items/1", "../beta", 400, invalid, ""},
		{"header unknown", "top", opts{header}, "acme", "/items/1", "nobody", 404, unknown, "nobody"},
		{"header then host", "top", opts{tenantchi.WithExtractors(tenantchi.FromHeader("X-Tenant"), tenantchi.FromHost)},
			"acme", "/items/1", "", 200, "ok acme /items/{id}", "acme"},
		{"invalid header stops the chain", "top", opts{tenantchi.WithExtractors(tenantchi.FromHeader("X-Tenant"), tenantchi.FromHost)},
			"acme", "/items/1", "a/b", 400, invalid, ""},

		// FromSubdomain
		{"subdomain", "top", opts{tenantchi.WithExtractors(sub)}, "Beta.example.com:443", "/", "", 200, "ok beta /", "beta"},
		{"subdomain unknown", "top", opts{tenantchi.WithExtractors(sub)}, "nobody.example.com", "/", "", 404, unknown, "nobody"},
		{"subdomain apex", "top", opts{tenantchi.WithExtractors(sub)}, "example.com", "/", "", 400, noTenant, ""},
		{"subdomain deeper", "top", opts{tenantchi.WithExtractors(sub)}, "a.beta.example.com", "/", "", 400, noTenant, ""},
		{"subdomain other domain", "top", opts{tenantchi.WithExtractors(sub)}, "beta.example.org", "/", "", 400, noTenant, ""},

		// FromHostMap, then FromSubdomain
		{"host map", "top", opts{tenantchi.WithExtractors(hostMap, sub)}, "SHOP.acme.com", "/", "", 200, "ok acme /", "acme"},
		{"host map falls to subdomain", "top", opts{tenantchi.WithExtractors(hostMap, sub)}, "beta.example.com", "/", "", 200, "ok beta /", "beta"},
		{"host map, no match", "top", opts{tenantchi.WithExtractors(hostMap, sub)}, "shop.other.com", "/", "", 400, noTenant, ""},

		// FromURLParam: after routing only
		{"param with r.With", "with", opts{param}, "ignored", "/t/acme/items", "", 200, "ok acme /t/{tenant}/items", "acme"},
		{"param in r.Route", "route", opts{param}, "ignored", "/t/acme/items", "", 200, "ok acme /t/{tenant}/items", "acme"},
		{"param unknown", "route", opts{param}, "ignored", "/t/nobody/items", "", 404, unknown, "nobody"},
		{"param escaped", "route", opts{param}, "ignored", "/t/ac%6De/items", "", 200, "ok acme /t/{tenant}/items", "acme"},
		{"param with escaped slash", "route", opts{param}, "ignored", "/t/ac%2Fme/items", "", 400, invalid, ""},
		{"param with top-level r.Use", "top", opts{param}, "acme", "/t/acme/items", "", 400, noTenant, ""},
		{"param without chi", "plain", opts{param}, "acme", "/t/acme/items", "", 400, noTenant, ""},

		// WithWhitelist: plain paths only
		{"whitelist", "top", opts{tenantchi.WithWhitelist("/healthz")}, "", "/healthz", "", 200, "ok - /healthz", ""},
		{"whitelist prefix", "top", opts{tenantchi.WithWhitelist("/static/*")}, "", "/static/app.js", "", 200, "ok - /static/*", ""},
		{"whitelist not a prefix", "top", opts{tenantchi.WithWhitelist("/static/*")}, "", "/staticx", "", 400, noTenant, ""},
		{"whitelist dot-dot", "top", opts{tenantchi.WithWhitelist("/static/*")}, "", "/static/../items/1", "", 400, noTenant, ""},
		{"whitelist escaped", "top", opts{tenantchi.WithWhitelist("/static/*")}, "", "/static%2F..%2Fitems/1", "", 400, noTenant, ""},
		{"whitelist after CleanPath", "top-cleanpath", opts{tenantchi.WithWhitelist("/static/*")}, "", "/static/../items/1", "", 400, noTenant, ""},
		{"whitelist, routed elsewhere", "top-rewrite", opts{tenantchi.WithWhitelist("/old/*")}, "", "/old/1", "", 400, noTenant, ""},
		{"whitelist, routed elsewhere, with a tenant", "top-rewrite", opts{tenantchi.WithWhitelist("/old/*")}, "acme", "/old/1", "", 200, "ok acme /items/{id}", "acme"},
		{"whitelist without chi", "plain", opts{tenantchi.WithWhitelist("/healthz")}, "", "/healthz", "", 200, "ok -", ""},

		// WithBypassPatterns: the route chi will serve
		{"pattern", "top", opts{tenantchi.WithBypassPatterns("/healthz")}, "", "/healthz", "", 200, "ok - /healthz", ""},
		{"pattern with a parameter", "top", opts{tenantchi.WithBypassPatterns("/items/{id}")}, "", "/items/7", "", 200, "ok - /items/{id}", ""},
		{"pattern group", "top", opts{tenantchi.WithBypassPatterns("/admin/*")}, "", "/admin/users/3", "", 200, "ok - /admin/users/{id}", ""},
		{"pattern group root", "top", opts{tenantchi.WithBypassPatterns("/admin/*")}, "", "/admin/", "", 200, "ok - /admin", ""},
		{"pattern group root, no slash", "top", opts{tenantchi.WithBypassPatterns("/admin/*")}, "", "/admin", "", 200, "ok - /admin", ""},
		{"pattern, escaped letters", "top", opts{tenantchi.WithBypassPatterns("/healthz")}, "", "/heal%74hz", "", 400, noTenant, ""},
		{"pattern not matched", "top", opts{tenantchi.WithBypassPatterns("/healthz")}, "", "/items/1", "", 400, noTenant, ""},
		{"pattern, missing route", "top", opts{tenantchi.WithBypassPatterns("/healthz")}, "", "/healthz/", "", 400, noTenant, ""},
		{"pattern routed through dot-dot", "top", opts{tenantchi.WithBypassPatterns("/static/*")}, "", "/static/../items/1", "", 200, "ok - /static/*", ""},
		{"pattern, escaped path chi does not route there", "top", opts{tenantchi.WithBypassPatterns("/static/*")}, "", "/static%2F..%2Fitems/1", "", 400, noTenant, ""},
		{"pattern after CleanPath", "top-cleanpath", opts{tenantchi.WithBypassPatterns("/static/*")}, "", "/static/../items/1", "", 400, noTenant, ""},
		{"pattern after CleanPath, cleaned to a bypass", "top-cleanpath", opts{tenantchi.WithBypassPatterns("/healthz")}, "", "/static/../healthz", "", 200, "ok - /healthz", ""},
		{"pattern in r.Route", "route", opts{param, tenantchi.WithBypassPatterns("/t/{tenant}/health")}, "", "/t/zzz/health", "", 200, "ok - /t/{tenant}/health", ""},
		{"pattern in r.Route, not matched", "route", opts{param, tenantchi.WithBypassPatterns("/t/{tenant}/health")}, "", "/t/zzz/items", "", 404, unknown, "zzz"},
		{"pattern in r.Route after CleanPath", "route-cleanpath", opts{param, tenantchi.WithBypassPatterns("/t/{tenant}/public/*")},
			"", "/t/acme/public/../items", "", 200, "ok acme /t/{tenant}/items", "acme"},
		{"pattern in r.Route after CleanPath, plain path", "route-cleanpath", opts{param, tenantchi.WithBypassPatterns("/t/{tenant}/public/*")},
			"", "/t/acme/public/a.css", "", 200, "ok - /t/{tenant}/public/*", ""},
		{"pattern in r.Route, routed elsewhere", "route-rewrite", opts{param, tenantchi.WithBypassPatterns("/a/{tenant}/items")},
			"", "/a/acme/items", "", 200, "ok acme /b/{tenant}/items", "acme"},
		{"pattern with r.With", "with", opts{param, tenantchi.WithBypassPatterns("/t/{tenant}/health")}, "", "/t/zzz/health", "", 200, "ok - /t/{tenant}/health", ""},
		{"pattern in a mounted router", "mount", opts{tenantchi.WithBypassPatterns("/app/orders/{id}")}, "", "/app/orders/9", "", 200, "ok - /app/orders/{id}", ""},
		{"pattern, routed elsewhere", "top-rewrite", opts{tenantchi.WithBypassPatterns("/items/{id}")}, "", "/old/1", "", 200, "ok - /items/{id}", ""},
		{"pattern without chi", "plain", opts{tenantchi.WithBypassPatterns("/healthz")}, "", "/healthz", "", 400, noTenant, ""},

		// WithBypass: a predicate
		{"predicate", "top", opts{tenantchi.WithExtractors(sub), apex}, "example.com", "/", "", 200, "ok - /", ""},
		{"predicate false", "top", opts{tenantchi.WithExtractors(sub), apex}, "acme.example.com", "/", "", 200, "ok acme /", "acme"},

		// mounted on a sub-router only
		{"outside the group", "group", nil, "", "/healthz", "", 200, "ok - /healthz", ""},
		{"inside the group", "group", nil, "acme", "/app", "", 200, "ok acme /app", "acme"},
		{"inside the group, no tenant", "group", nil, "", "/app", "", 400, noTenant, ""},
		{"outside the mount", "mount", nil, "", "/login", "", 200, "ok - /login", ""},
		{"inside the mount", "mount", nil, "beta:8080", "/app/orders/9", "", 200, "ok beta /app/orders/{id}", "beta"},
		{"inside the mount, unknown", "mount", nil, "nobody", "/app/", "", 404, unknown, "nobody"},
	}
	reg := &countingRegistry{tenants: registry{"acme": true, "beta": true, "acme.example.com": true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &recorder{}
			h := mounts[tt.mount](mustMiddleware(t, reg, tt.opts...), next)
			var hdr http.Header
			if tt.hdr != "" {
				hdr = http.Header{"X-Tenant": {tt.hdr}}
			}
			rec := do(h, tt.host, tt.target, hdr)
			calls := next.take()
			asked := strings.Join(reg.take(), ",")
			if rec.Code != tt.code || rec.Body.String() != tt.body || asked != tt.asked {
				t.Fatalf("%s %s: %d %q, registry asked %q; want %d %q, asked %q",
					tt.host, tt.target, rec.Code, rec.Body, asked, tt.code, tt.body, tt.asked)
			}
			reached := strings.HasPrefix(tt.body, "ok ")
			if (calls == 1) != reached || calls > 1 {
				t.Fatalf("next handler ran %d times; want it to run: %v", calls, reached)
			}
		})
	}
}
