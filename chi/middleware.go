package tenantchi

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// Registry tells which tenants exist; *resolver.Resolver is one. Has is
// called from every request's goroutine and must be safe for concurrent
// use.
type Registry interface {
	Has(id string) bool
}

// Middleware returns middleware that puts the tenant of each request in
// its context, to mount with r.Use. It returns an error, and no
// middleware, if reg is nil (a typed nil such as a nil
// *resolver.Resolver too) or an option is invalid; the error names what
// was wrong.
func Middleware(reg Registry, opts ...Option) (func(http.Handler) http.Handler, error) {
	if isNil(reg) {
		if reg == nil {
			return nil, errors.New("tenantchi: Middleware needs a Registry, got nil")
		}
		return nil, fmt.Errorf("tenantchi: Middleware needs a Registry, got a nil %T", reg)
	}
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
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
	}, nil
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
