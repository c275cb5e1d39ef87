package tenantchi

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

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
