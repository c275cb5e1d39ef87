package tenantchi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"sync"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// Registry tells which tenants exist; *resolver.Resolver is one. Has is
// called from every request's goroutine and must be safe for concurrent
// use; it must answer from memory (the middleware promises no database
// call for a refused request).
type Registry interface {
	Has(id string) bool
}

// Middleware returns middleware that puts the tenant of each request in
// its context ([tenant.NewContext]), to mount with r.Use or to wrap any
// http.Handler. A request that bypasses it (see [WithWhitelist],
// [WithBypassPatterns], [WithBypass]) passes with no tenant; any other
// whose extractors find no tenant, or a malformed one, is refused with
// 400, one whose tenant reg does not have with 404, both written by the
// error handler ([DefaultErrorHandler] unless [WithErrorHandler]), and
// the next handler is not called.
//
// It returns an error, and no middleware, if reg is nil (a typed nil
// such as a nil *resolver.Resolver too) or an option is invalid; the
// error names what was wrong.
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
	m := &middleware{reg: reg, options: o, hasBypass: o.bypass.configured(), hostOnly: o.extractors == nil}
	if len(o.extractors) == 1 {
		m.only = o.extractors[0]
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.serve(next, w, r)
		})
	}, nil
}

type middleware struct {
	reg Registry
	options
	hasBypass bool      // a bypass is configured
	hostOnly  bool      // the default extractor, FromHost, alone
	only      Extractor // the extractor when there is one
	ctxs      ctxCache
	// attached checks once, at the first tenant request, that a
	// *gorm.DB's plugin uses the registry (see warnUnattached).
	attached sync.Once
}

func (m *middleware) serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	if m.hasBypass && m.bypass.match(r) {
		next.ServeHTTP(w, r)
		return
	}
	var id string
	var err error
	switch {
	case m.hostOnly:
		// normalizeHost's ids are valid ids but for their length
		// (FuzzNormalizeHost): ValidateID's scan would be done twice.
		if id, err = normalizeHost(r.Host); err == nil && len(id) > tenant.MaxIDLen {
			err = tenant.ValidateID(id)
		}
	case m.only != nil:
		if id, err = m.only(r); err == nil {
			err = tenant.ValidateID(id)
		}
	default:
		if id, err = m.extract(r); err == nil {
			err = tenant.ValidateID(id)
		}
	}
	if err != nil {
		m.onError(w, r, http.StatusBadRequest, err)
		return
	}
	if !m.reg.Has(id) {
		m.onError(w, r, http.StatusNotFound, &tenant.Error{ID: id, Err: tenant.ErrUnknown})
		return
	}
	m.attached.Do(func() { warnUnattached(r.Context(), m.reg) })
	next.ServeHTTP(w, m.ctxs.withTenant(r, id))
}

// warnUnattached logs a warning when reg is a registry that tells
// whether a *gorm.DB uses it (resolver.Resolver.Attached) and none does:
// db.Use(tenantplugin.New(...)) was forgotten, and every statement of
// the handlers goes to the database gorm.Open opened.
func warnUnattached(ctx context.Context, reg Registry) {
	a, ok := reg.(interface{ Attached() bool })
	if !ok || a.Attached() {
		return
	}
	slog.Default().LogAttrs(ctx, slog.LevelWarn,
		"tenantchi: a tenant request arrived, but no *gorm.DB uses the resolver: without db.Use(tenantplugin.New(...)), GORM sends every statement to the database gorm.Open opened")
}

// extract tries each extractor in turn. It returns the first tenant
// found, the first error that is not ErrNoTenantInRequest, or all the
// errors.
func (m *middleware) extract(r *http.Request) (string, error) {
	var errs []error
	for _, ex := range m.extractors {
		id, err := ex(r)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, ErrNoTenantInRequest) {
			return "", err
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
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
