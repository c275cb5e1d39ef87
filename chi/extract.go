package tenantchi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// Extractor finds a tenant id in a request. It returns an error wrapping
// [ErrNoTenantInRequest] when the request does not carry a tenant its
// way, and the middleware then tries the next extractor; any other error
// (a malformed value) refuses the request with 400 at once. An extractor
// is called from every request's goroutine: it must be safe for
// concurrent use, and it must not do I/O (the middleware's promise is no
// database call for a refused request).
type Extractor func(r *http.Request) (string, error)

// ErrNoTenantInRequest is wrapped by the errors of extractors that find
// no tenant in a request.
var ErrNoTenantInRequest = errors.New("tenantchi: no tenant in request")

// FromHost takes the tenant from the request's host (r.Host): without
// its port, in lower case, without a trailing dot. The host must be a
// DNS name of letters, digits, '-', '_' and dots (an internationalised
// name arrives in its ASCII xn-- form, which is the id to register), or
// a bracketed IPv6 literal, which becomes its canonical text without
// brackets ("[::1]:8080" → "::1"). A request with no host (HTTP/1.0
// with no Host header) finds no tenant; any other host is refused with
// an error wrapping [tenant.ErrInvalidID]. It is the default.
func FromHost(r *http.Request) (string, error) {
	return normalizeHost(r.Host)
}

// NormalizeHost normalises and checks host as [FromHost] does with
// r.Host, for extractors of your own: a host taken from a header set by
// a trusted proxy (X-Forwarded-Host), or looked up in a table that
// changes at run time.
func NormalizeHost(host string) (string, error) {
	return normalizeHost(host)
}

// FromHeader takes the tenant from the request header name. It is
// opt-in because any client can send any header: use it only behind a
// proxy that sets this header itself and removes the one the client
// sent, or for callers you trust (service to service). A header given
// twice is refused rather than one of its values picked.
//
// FromHeader panics if name is not a valid header name: it is a
// constant of the program, like a regexp given to regexp.MustCompile.
func FromHeader(name string) Extractor {
	if !validHeaderName(name) {
		panic(fmt.Sprintf("tenantchi: FromHeader(%q): not a valid header name", name))
	}
	key := http.CanonicalHeaderKey(name)
	none := fmt.Errorf("%w: no %s header", ErrNoTenantInRequest, key)
	twice := fmt.Errorf("%w: header %s given more than once", tenant.ErrInvalidID, key)
	return func(r *http.Request) (string, error) {
		switch v := r.Header[key]; {
		case len(v) == 0 || len(v) == 1 && v[0] == "":
			return "", none
		case len(v) > 1:
			return "", twice
		default:
			return v[0], nil
		}
	}
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
