package tenantchi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tenantrouter/tenantplugin/internal/optapply"
)

// ErrorHandler writes the response of a request refused with status
// (400 or 404) because of err. It must not call the next handler.
type ErrorHandler func(w http.ResponseWriter, r *http.Request, status int, err error)

// Option configures [Middleware]. Each option checks its own input; an
// invalid one makes Middleware return an error naming it.
type Option func(*options) error

type options struct {
	extractors []Extractor // nil: FromHost
	bypass     bypasses
	onError    ErrorHandler
}

// WithExtractors replaces the default [FromHost]: each is tried in order
// until one finds a tenant (see [Extractor]). At least one is needed,
// and none may be nil.
func WithExtractors(ex ...Extractor) Option {
	return func(o *options) error {
		if len(ex) == 0 {
			return errors.New("WithExtractors(): needs at least one extractor")
		}
		for i, e := range ex {
			if e == nil {
				return fmt.Errorf("WithExtractors: extractor %d is nil", i)
			}
		}
		o.extractors = append([]Extractor(nil), ex...)
		return nil
	}
}

// WithWhitelist lets requests for these paths through without a tenant.
// A path ending in "/*" matches itself without the "/*" and every path
// under it. Each path must start with '/' and hold no other '*'. Given
// more than once, the lists add up.
//
// A request's path is whitelisted only when it is written plainly: one
// with a "." or ".." segment, a double slash, a backslash, or an escaped
// '/', '\', '.' or '%' (as in /static/../api or /static%2F..%2Fapi)
// needs a tenant like any other path, since a router, a proxy or a file
// server may read it as another path than the one matched here.
func WithWhitelist(paths ...string) Option {
	return func(o *options) error {
		if err := checkPaths("WithWhitelist", paths); err != nil {
			return err
		}
		o.bypass.paths = append(o.bypass.paths, paths...)
		return nil
	}
}

// WithBypassPatterns lets requests through without a tenant when chi
// routes them to one of these route patterns, written as in the router
// ("/healthz", "/users/{id}"; chi's RoutePattern drops a final '/'). A
// pattern ending in "/*" matches itself without the "/*" and every
// pattern under it ("/admin/*": every route of r.Route("/admin", ...)).
// Given more than once, the lists add up.
//
// The route is looked up in the router the request is served by, with
// chi's Find, before routing if need be: it works with a top-level r.Use
// and inside groups. Matching the route, not the path, means that
// however the path is written, a request bypasses only if chi would
// serve it with a bypassed route; with a top-level r.Use that holds
// also after a middleware that changes the path chi routes (chi's
// CleanPath, StripSlashes). Inside a group routing has begun, and what
// such a middleware did is no longer known: a request bypasses there
// only if its path is written plainly (see [WithWhitelist]) and the
// route found goes through the routes already matched. Requests not
// served by a chi router never match. Requests whose path starts with
// none of the patterns' literal beginnings are not looked up.
func WithBypassPatterns(patterns ...string) Option {
	return func(o *options) error {
		if err := checkPaths("WithBypassPatterns", patterns); err != nil {
			return err
		}
		for _, p := range patterns {
			p = normalizePattern(p)
			o.bypass.patterns = append(o.bypass.patterns, p)
			o.bypass.prefixes = append(o.bypass.prefixes, patternPrefix(strings.TrimSuffix(p, "/*")))
		}
		return nil
	}
}

// WithBypass lets a request through without a tenant when f reports
// true. f is called from every request's goroutine, before any
// extractor: it must be safe for concurrent use and quick. Given more
// than once, a request bypasses if any says so.
func WithBypass(f func(r *http.Request) bool) Option {
	return func(o *options) error {
		if f == nil {
			return errors.New("WithBypass(nil): needs a function")
		}
		o.bypass.predicates = append(o.bypass.predicates, f)
		return nil
	}
}

// WithErrorHandler replaces [DefaultErrorHandler]. h may not be nil:
// leave the option out for the default.
func WithErrorHandler(h ErrorHandler) Option {
	return func(o *options) error {
		if h == nil {
			return errors.New("WithErrorHandler(nil): needs a handler")
		}
		o.onError = h
		return nil
	}
}

func checkPaths(opt string, paths []string) error {
	for _, p := range paths {
		switch {
		case p == "":
			return fmt.Errorf(`%s(""): empty path`, opt)
		case !strings.HasPrefix(p, "/"):
			return fmt.Errorf("%s(%q): path does not start with /", opt, p)
		case strings.Contains(strings.TrimSuffix(p, "/*"), "*"):
			return fmt.Errorf("%s(%q): '*' is only allowed as a final \"/*\"", opt, p)
		}
	}
	return nil
}

// applyOptions returns the defaults with opts applied, or the first
// option's error.
func applyOptions(opts []Option) (options, error) {
	o := options{onError: DefaultErrorHandler} // no extractors: FromHost
	if err := optapply.Apply("tenantchi", &o, opts); err != nil {
		return options{}, err
	}
	return o, nil
}
