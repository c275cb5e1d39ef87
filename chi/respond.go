package tenantchi

import (
	"errors"
	"net/http"
)

// The default responses' bodies. They name no tenant and echo nothing
// of the request.
var (
	bodyNoTenant      = []byte(`{"error":"no tenant in request"}` + "\n")
	bodyInvalidTenant = []byte(`{"error":"invalid tenant"}` + "\n")
	bodyUnknownTenant = []byte(`{"error":"unknown tenant"}` + "\n")
)

// DefaultErrorHandler writes the middleware's default refusals: a small
// JSON object with Content-Type application/json, never cached:
//
//	400 {"error":"no tenant in request"}  no extractor found a tenant
//	400 {"error":"invalid tenant"}        a malformed host or id
//	404 {"error":"unknown tenant"}        a well-formed id not registered
//
// The body tells an unknown tenant from a missing route (chi's 404 is
// "404 page not found"). err stays out of the response: it may name
// tenants or quote the request. A custom [ErrorHandler] may log err and
// call DefaultErrorHandler.
func DefaultErrorHandler(w http.ResponseWriter, _ *http.Request, status int, err error) {
	body := bodyInvalidTenant
	switch {
	case status == http.StatusNotFound:
		body = bodyUnknownTenant
	case errors.Is(err, ErrNoTenantInRequest):
		body = bodyNoTenant
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
