package tenantchi

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// Registry tells which tenants exist; *resolver.Resolver is one.
type Registry interface {
	Has(id string) bool
}

// Extractor finds a tenant id in a request, or returns an error.
type Extractor func(r *http.Request) (string, error)

// ErrNoTenantInRequest is returned by extractors that find nothing.
var ErrNoTenantInRequest = errors.New("tenantchi: no tenant in request")

// FromHost takes the tenant from the request's host, without its port,
// in lower case.
func FromHost(r *http.Request) (string, error) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return "", ErrNoTenantInRequest
	}
	return host, nil
}

// FromHeader takes the tenant from a request header.
func FromHeader(name string) Extractor {
	return func(r *http.Request) (string, error) {
		if v := r.Header.Get(name); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%w: header %s", ErrNoTenantInRequest, name)
	}
}

// Option configures Middleware.
type Option func(*options)

type options struct {
	extractors []Extractor
	whitelist  []string
	onError    func(w http.ResponseWriter, r *http.Request, status int, err error)
}

// WithExtractors replaces the default FromHost: each is tried in order
// and the first that finds a tenant wins.
func WithExtractors(ex ...Extractor) Option {
	return func(o *options) { o.extractors = ex }
}

// WithWhitelist lets requests for these paths through without a tenant.
// A path ending in "/*" matches every path under it.
func WithWhitelist(paths ...string) Option {
	return func(o *options) { o.whitelist = append(o.whitelist, paths...) }
}

// WithErrorHandler replaces the plain-text 400 and 404 responses.
func WithErrorHandler(h func(w http.ResponseWriter, r *http.Request, status int, err error)) Option {
	return func(o *options) { o.onError = h }
}

// Middleware puts the tenant of each request in its context. It panics
// at start-up if reg is nil (a typed nil such as a nil *resolver.Resolver
// too) or an option is invalid.
func Middleware(reg Registry, opts ...Option) func(http.Handler) http.Handler {
	if isNil(reg) {
		panic(fmt.Sprintf("tenantchi: Middleware needs a Registry, got a nil %T", reg))
	}
	o := options{extractors: []Extractor{FromHost}, onError: plainError}
	for _, opt := range opts {
		opt(&o)
	}
	if len(o.extractors) == 0 {
		panic("tenantchi: WithExtractors needs at least one extractor")
	}
	for _, p := range o.whitelist {
		if !strings.HasPrefix(p, "/") {
			panic(fmt.Sprintf("tenantchi: whitelisted path %q does not start with /", p))
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if o.whitelisted(r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			id, err := o.extract(r)
			if err != nil {
				o.onError(w, r, http.StatusBadRequest, err)
				return
			}
			if err := tenant.ValidateID(id); err != nil {
				o.onError(w, r, http.StatusBadRequest, err)
				return
			}
			if !reg.Has(id) {
				o.onError(w, r, http.StatusNotFound, &tenant.Error{ID: id, Err: tenant.ErrUnknown})
				return
			}
			next.ServeHTTP(w, r.WithContext(tenant.NewContext(r.Context(), id)))
		})
	}
}

func (o *options) extract(r *http.Request) (string, error) {
	var errs []error
	for _, ex := range o.extractors {
		id, err := ex(r)
		if err == nil {
			return id, nil
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}

func (o *options) whitelisted(path string) bool {
	for _, p := range o.whitelist {
		if prefix, ok := strings.CutSuffix(p, "/*"); ok {
			if path == prefix || strings.HasPrefix(path, prefix+"/") {
				return true
			}
		} else if path == p {
			return true
		}
	}
	return false
}

func plainError(w http.ResponseWriter, _ *http.Request, status int, _ error) {
	// The error stays out of the response: it may name tenants.
	http.Error(w, http.StatusText(status), status)
}

// isNil reports whether reg is nil, or a typed nil such as a nil
// *resolver.Resolver, whose methods would fail on the first request.
func isNil(reg Registry) bool {
	if reg == nil {
		return true
	}
	switch v := reflect.ValueOf(reg); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return v.IsNil()
	}
	return false
}
