package tenantchi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// FromURLParam takes the tenant from the chi path parameter name, as in
// "/t/{tenant}/orders", percent-decoded.
//
// chi sets path parameters while it routes, so this extractor only finds
// one in middleware that runs after the router matched the parameter:
// mounted with r.With(mw) on the routes, or with r.Use(mw) inside the
// r.Route("/t/{tenant}", ...) group. Mounted with a top-level r.Use it
// runs before routing, finds nothing, and the request is refused with
// 400 (the error says so); it never passes without a tenant.
//
// FromURLParam panics if name is empty: it is a constant of the program.
func FromURLParam(name string) Extractor {
	if name == "" {
		panic("tenantchi: FromURLParam(\"\"): needs a parameter name")
	}
	noRouter := fmt.Errorf("%w: no chi routing context, so no URL parameter %q", ErrNoTenantInRequest, name)
	early := fmt.Errorf("%w: URL parameter %q is not set before chi routes the request: "+
		"mount the middleware with r.With or inside r.Route, not with a top-level r.Use", ErrNoTenantInRequest, name)
	none := fmt.Errorf("%w: URL parameter %q is empty or absent", ErrNoTenantInRequest, name)
	return func(r *http.Request) (string, error) {
		rctx := chi.RouteContext(r.Context())
		if rctx == nil {
			return "", noRouter
		}
		v := rctx.URLParam(name)
		switch {
		case v == "" && len(rctx.RoutePatterns) == 0:
			return "", early
		case v == "":
			return "", none
		case strings.IndexByte(v, '%') < 0:
			return v, nil
		}
		// chi routes on the escaped path when the client's escaping
		// differs from Go's, and its parameters are then still escaped.
		d, err := url.PathUnescape(v)
		if err != nil {
			return "", fmt.Errorf("%w: URL parameter %q: %s", tenant.ErrInvalidID, name, quoteShort(v))
		}
		return d, nil
	}
}
