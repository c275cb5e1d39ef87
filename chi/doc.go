// Package tenantchi finds the tenant of each HTTP request and puts it in
// the request's context ([tenant.NewContext]), so that handlers pass
// r.Context() to GORM and the tenantplugin plugin routes their
// statements to the tenant's database. It is chi-style middleware
// (func(http.Handler) http.Handler) and wraps any net/http handler too.
// It lives in the folder chi/ and is named tenantchi, so that it sits
// beside go-chi's chi with no alias:
//
//	import "github.com/tenantrouter/tenantplugin/chi" // package tenantchi
//
// # Usage
//
//	mw, err := tenantchi.Middleware(res,      // res.Has says which tenants exist
//		tenantchi.WithBypassPatterns("/healthz"))
//	if err != nil {
//		return err
//	}
//	r := chi.NewRouter()
//	r.Use(mw)
//
// # Extractors
//
// An [Extractor] is a plain function that finds the tenant id in a
// request; [WithExtractors] sets the ones tried, in order, until one
// finds a tenant. [FromHost] is the default: the host without its port,
// in lower case, without a trailing dot ("Tenant-1.localhost:8000" is
// "tenant-1.localhost"), as in the tenant config file. The others:
//
//   - [FromSubdomain]: the label below a base domain (acme.example.com
//     is "acme").
//   - [FromHostMap]: a table of hosts, several per tenant if need be
//     (custom domains).
//   - [FromURLParam]: a chi path parameter ("/t/{tenant}/..."); only in
//     middleware mounted after routing, with r.With or inside the
//     r.Route group (chi sets parameters while routing).
//   - [FromHeader]: a request header, opt-in (see the trust model).
//
// An extractor of your own is a func(*http.Request) (string, error);
// [NormalizeHost] checks a host taken from elsewhere (X-Forwarded-Host
// from a trusted proxy, a table that changes at run time).
//
// Whatever an extractor returns is checked with [tenant.ValidateID]
// before the registry is asked about it.
//
// # Bypasses
//
// Routes that need no tenant (health checks, login, central admin) pass
// with no tenant in their context, in one of three ways:
//
//   - by chi route pattern, [WithBypassPatterns]("/healthz", "/admin/*"):
//     the route chi serves is looked up, before routing if need be, so it
//     works with a top-level r.Use, and however the path is written a
//     request bypasses only if chi would serve it with a bypassed route;
//   - by a predicate, [WithBypass](func(r *http.Request) bool);
//   - by mounting the middleware only on the routes that need a tenant
//     (r.Group, r.Route, r.Mount, r.With).
//
// [WithWhitelist] matches request paths instead; only paths written
// plainly pass (no "." or ".." segment, double slash, backslash or
// escaped separator), since a router, a proxy or a file server may read
// /static/../api or /static%2F..%2Fapi as a path the whitelist did not
// match.
//
// # Responses
//
// A request that does not bypass and whose tenant cannot be found, or is
// malformed, gets 400 Bad Request; one whose tenant is well-formed but
// not registered gets 404 Not Found. Neither reaches the next handler,
// and nothing but the registry's Has is called: no statement, no
// connection. [DefaultErrorHandler] writes them as small JSON objects
// that echo nothing of the request:
//
//	400 {"error":"no tenant in request"}
//	400 {"error":"invalid tenant"}
//	404 {"error":"unknown tenant"}
//
// so that an unknown tenant is told from a missing route (chi's "404
// page not found"). [WithErrorHandler] renders them your own way.
//
// # Trust model
//
// The middleware fails closed, and it trusts what it extracts from. The
// Host header is chosen by the client: a client can ask for any tenant
// by name, so the middleware only says which tenant a request is for,
// never that the client may act for it (authentication and
// authorisation are the application's). Put it behind a proxy that
// forwards only the hosts you serve. A header such as X-Tenant can be
// sent by any client too, and is honoured only when configured
// ([FromHeader]): use it behind a proxy that sets it and drops the
// client's, or between services you trust. The host is normalised and
// checked before use: letters, digits, '-', '_' and dots (an
// internationalised name arrives in its ASCII xn-- form, which is the
// id to register) or a bracketed IPv6 literal; anything else is refused
// with 400.
//
// # Errors
//
// [Middleware] never panics: a nil [Registry] (a typed nil such as a nil
// *resolver.Resolver too) or an invalid [Option] is an error that names
// it, and no middleware is returned. [FromSubdomain] and [FromHostMap]
// return an error for a base domain or a host table that cannot work;
// [FromHeader] and [FromURLParam] panic for an empty or malformed name,
// a constant of the program.
//
// On a request, the error handler receives, with 400, an error wrapping
// [ErrNoTenantInRequest] (no extractor found a tenant; it joins their
// reasons) or [tenant.ErrInvalidID], and with 404 a *[tenant.Error]
// wrapping [tenant.ErrUnknown]. These errors quote the request's values,
// cut short.
//
// # Concurrency
//
// The middleware is safe for concurrent use. Registry.Has, the
// extractors, the bypass predicates and the error handler are called
// from every request's goroutine and must be too.
package tenantchi
