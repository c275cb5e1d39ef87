package tenantchi

import (
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"
)

// bypasses are the ways a request passes without a tenant.
type bypasses struct {
	paths      []string // WithWhitelist
	predicates []func(*http.Request) bool
	patterns   []string // WithBypassPatterns
	// prefixes are the patterns' literal beginnings (before a '{' or a
	// '*'): chi matches them as written, so a path that starts with
	// none of them cannot be routed to a pattern, and is not looked up.
	prefixes []string
}

// configured reports whether any bypass is configured.
func (b *bypasses) configured() bool {
	return len(b.paths) > 0 || len(b.predicates) > 0 || len(b.patterns) > 0
}

// match reports whether r passes without a tenant.
func (b *bypasses) match(r *http.Request) bool {
	if len(b.paths) > 0 && b.pathMatch(r) {
		return true
	}
	for _, p := range b.predicates {
		if p(r) {
			return true
		}
	}
	return len(b.patterns) > 0 && b.patternMatch(r)
}

// patternMatch reports whether chi routes r to a bypassed pattern.
func (b *bypasses) patternMatch(r *http.Request) bool {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil || rctx.Routes == nil {
		return false
	}
	path, ok := routedPath(r, rctx)
	if !ok {
		return false
	}
	for _, prefix := range b.prefixes {
		if strings.HasPrefix(path, prefix) {
			return matchPattern(b.patterns, routePattern(r, rctx, path))
		}
	}
	return false
}

// pathMatch reports whether r's path is whitelisted. Only a path written
// plainly can be: one that every router, proxy and file server reads the
// same way. See plainPath.
func (b *bypasses) pathMatch(r *http.Request) bool {
	p := r.URL.Path
	if !matchPattern(b.paths, p) || !plainPath(p, r.URL.RawPath) {
		return false
	}
	// A middleware before this one (chi's CleanPath, StripSlashes) may
	// have told chi to route another path: then the whitelist was asked
	// about the wrong one.
	if rctx := chi.RouteContext(r.Context()); rctx != nil &&
		len(rctx.RoutePatterns) == 0 && rctx.RoutePath != "" && rctx.RoutePath != p {
		return false
	}
	return true
}

// matchPattern reports whether s is one of patterns, or under one that
// ends in "/*" ("/static/*" matches "/static", "/static/" and
// "/static/a/b").
func matchPattern(patterns []string, s string) bool {
	if s == "" {
		return false
	}
	for _, p := range patterns {
		if prefix, ok := strings.CutSuffix(p, "/*"); ok {
			if s == prefix || len(s) > len(prefix) && s[len(prefix)] == '/' && s[:len(prefix)] == prefix {
				return true
			}
		} else if s == p {
			return true
		}
	}
	return false
}

// plainPath reports whether the decoded path p (with its raw form raw,
// "" when Go's escaping reproduces it) is absolute and holds no "." or
// ".." segment, no empty segment but a final one, no backslash, no '%'
// (a second decoding would change it) and no control character, and
// whether raw escapes none of '/', '\', '.' and '%'. Such a path reads
// the same decoded or not, cleaned or not, so a whitelist decision on it
// is the router's decision too: chi routes on raw when it is set, Go's
// ServeMux and file servers on the cleaned, decoded path.
func plainPath(p, raw string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	seg := 1 // start of the current segment
	for i := 1; i <= len(p); i++ {
		if i < len(p) {
			c := p[i]
			if c == '\\' || c == '%' || c < 0x20 || c == 0x7f {
				return false
			}
			if c != '/' {
				continue
			}
		}
		switch p[seg:i] {
		case "":
			if i < len(p) { // "//"; a final "/" is fine
				return false
			}
		case ".", "..":
			return false
		}
		seg = i + 1
	}
	for i := strings.IndexByte(raw, '%'); i >= 0; i = strings.IndexByte(raw, '%') {
		if len(raw) < i+3 {
			return false
		}
		switch strings.ToLower(raw[i+1 : i+3]) {
		case "2f", "5c", "2e", "25":
			return false
		}
		raw = raw[i+3:]
	}
	return true
}

// routedPath returns the path chi's top router routes r on, or false
// when it cannot be known. Before routing (a top-level r.Use) it is the
// path a middleware before this one set (chi's CleanPath,
// StripSlashes), else the escaped path, as chi's Mux routes it. Inside
// a sub-router, routing has begun, maybe on a path such a middleware
// rewrote; the request's path is taken only when it is written plainly
// (cleaning leaves it as is) and ends with what is left to route.
func routedPath(r *http.Request, rctx *chi.Context) (string, bool) {
	path := r.URL.RawPath
	if path == "" {
		path = r.URL.Path
	}
	switch {
	case len(rctx.RoutePatterns) == 0:
		if rctx.RoutePath != "" {
			path = rctx.RoutePath
		}
	case !plainPath(r.URL.Path, r.URL.RawPath) || !strings.HasSuffix(path, rctx.RoutePath):
		return "", false
	}
	if path == "" {
		path = "/"
	}
	return path, true
}

// routePattern returns the chi route pattern that the top router (which
// chi's routing context names) finds for path ("" if none), normalised
// as chi's RoutePattern normalises it. It finds the route without
// routing, so it works before routing as well as after. Inside a
// sub-router, the route found must go through the routes already
// matched.
func routePattern(r *http.Request, rctx *chi.Context, path string) string {
	method := rctx.RouteMethod
	if method == "" {
		method = r.Method
	}
	tctx := findCtxPool.Get().(*chi.Context)
	tctx.Reset()
	pattern := rctx.Routes.Find(tctx, method, path)
	if n := len(rctx.RoutePatterns); n > 0 &&
		(len(tctx.RoutePatterns) < n || !slices.Equal(tctx.RoutePatterns[:n], rctx.RoutePatterns)) {
		pattern = ""
	}
	tctx.Reset()
	findCtxPool.Put(tctx)
	return normalizePattern(pattern)
}

// findCtxPool holds the routing contexts routePattern's Find fills in.
var findCtxPool = sync.Pool{New: func() any { return chi.NewRouteContext() }}

// normalizePattern removes a final '/' (and "//"), and "/*/" left where
// sub-routers join, as chi's Context.RoutePattern does, so that
// "/admin/" (a sub-router's "/") is "/admin".
func normalizePattern(p string) string {
	for strings.Contains(p, "/*/") {
		p = strings.ReplaceAll(p, "/*/", "/")
	}
	if p != "/" {
		p = strings.TrimSuffix(p, "//")
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// patternPrefix returns p up to its first '{' or '*'.
func patternPrefix(p string) string {
	if i := strings.IndexAny(p, "{*"); i >= 0 {
		return p[:i]
	}
	return p
}
