package tenantchi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tenantrouter/tenantplugin/internal/optapply"
)

// ErrorHandler writes the response of a request refused with status
// (400 or 404) because of err.
type ErrorHandler func(w http.ResponseWriter, r *http.Request, status int, err error)

// Option configures [Middleware]. Each option checks its own input; an
// invalid one makes Middleware return an error naming it.
type Option func(*options) error

type options struct {
	extractors []Extractor
	whitelist  []string
	onError    ErrorHandler
}

// WithExtractors replaces the default [FromHost]: each is tried in order
// and the first that finds a tenant wins. At least one is needed, and
// none may be nil.
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
		o.extractors = ex
		return nil
	}
}

// WithWhitelist lets requests for these paths through without a tenant.
// A path ending in "/*" matches every path under it. Each path must
// start with '/' and hold no other '*'. Given more than once, the lists
// add up.
func WithWhitelist(paths ...string) Option {
	return func(o *options) error {
		for _, p := range paths {
			switch {
			case p == "":
				return errors.New(`WithWhitelist(""): empty path`)
			case !strings.HasPrefix(p, "/"):
				return fmt.Errorf("WithWhitelist(%q): path does not start with /", p)
			case strings.Contains(strings.TrimSuffix(p, "/*"), "*"):
				return fmt.Errorf("WithWhitelist(%q): '*' is only allowed as a final \"/*\"", p)
			}
		}
		o.whitelist = append(o.whitelist, paths...)
		return nil
	}
}

// WithErrorHandler replaces the plain-text 400 and 404 responses. h may
// not be nil: leave the option out for the plain-text responses.
func WithErrorHandler(h ErrorHandler) Option {
	return func(o *options) error {
		if h == nil {
			return errors.New("WithErrorHandler(nil): needs a handler")
		}
		o.onError = h
		return nil
	}
}

// applyOptions returns the defaults with opts applied, or the first
// option's error.
func applyOptions(opts []Option) (options, error) {
	o := options{extractors: []Extractor{FromHost}, onError: plainError}
	if err := optapply.Apply("tenantchi", &o, opts); err != nil {
		return options{}, err
	}
	return o, nil
}

func plainError(w http.ResponseWriter, _ *http.Request, status int, _ error) {
	// The error stays out of the response: it may name tenants.
	http.Error(w, http.StatusText(status), status)
}
