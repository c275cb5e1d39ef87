// Package tenantchi finds the tenant of each HTTP request and puts it in
// the request's context ([tenant.NewContext]), for the tenantplugin GORM
// plugin. It is chi-style middleware (func(http.Handler) http.Handler)
// and works with any net/http router. It lives in the folder chi/ and is
// named tenantchi, so that it sits beside go-chi's chi with no alias:
//
//	import "github.com/tenantrouter/tenantplugin/chi" // package tenantchi
//
// # Usage
//
//	mw, err := tenantchi.Middleware(res,      // res.Has says which tenants exist
//		tenantchi.WithWhitelist("/healthz", "/static/*"))
//	if err != nil {
//		return err
//	}
//	r := chi.NewRouter()
//	r.Use(mw)
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
// hosts you serve. Headers such as X-Tenant are opt-in
// ([WithExtractors]).
//
// chi.URLParam is empty in middleware mounted with a top-level r.Use, so
// extract from the host or a header there; match whitelisted paths, not
// route patterns.
//
// # Errors
//
// [Middleware] never panics: a nil [Registry] (a typed nil such as a nil
// *resolver.Resolver too) or an invalid [Option] is an error that names
// it, and no middleware is returned.
// On a request, the error handler ([WithErrorHandler]) receives, with
// 400, an error wrapping [ErrNoTenantInRequest] or [tenant.ErrInvalidID],
// and with 404 a *[tenant.Error] wrapping [tenant.ErrUnknown]. The
// default handler keeps the error out of the response.
//
// # Concurrency
//
// The middleware is safe for concurrent use. Registry.Has, the
// extractors and the error handler are called from every request's
// goroutine and must be too.
package tenantchi
