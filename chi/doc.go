// Package tenantchi finds the tenant of each HTTP request and puts it in
// the request's context, for the tenantplugin GORM plugin. It is
// chi-style middleware (func(http.Handler) http.Handler) and works with
// any net/http router. It lives in the folder chi/ and is named tenantchi,
// so that it sits beside go-chi's chi with no alias:
//
//	import "github.com/tenantrouter/tenantplugin/chi" // package tenantchi
//
// # Usage
//
//	r := chi.NewRouter()
//	r.Use(tenantchi.Middleware(res,           // res.Has says which tenants exist
//		tenantchi.WithWhitelist("/healthz", "/static/*")))
//
// By default the tenant is the request's host without its port, lower
// case ("tenant-1.localhost"), as in the tenant config file.
//
// # Trust model
//
// The middleware fails closed. A request whose tenant cannot be found
// gets 400 Bad Request, one naming a tenant that is not registered 404
// Not Found, and neither reaches the next handler; whitelisted paths pass
// without a tenant (their statements then need a reserved route). It
// trusts the Host header: put it behind a proxy that only forwards the
// hosts you serve. Headers such as X-Tenant are opt-in (WithExtractors).
//
// chi.URLParam is empty in middleware mounted with a top-level r.Use, so
// extract from the host or a header there; match whitelisted paths, not
// route patterns.
package tenantchi
