package tenantchi_test

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// TestWhitelistMatchedCleaned: a whitelisted path lets a request through
// without a tenant only when the path is written plainly. Dot segments,
// double slashes, backslashes and encoded separators (%2F, %5C, %2E,
// %25), which a router, a proxy or a file server may read as another
// path, need a tenant like any other path: with no registered host they
// get 404 and never reach the handler.
func TestWhitelistMatchedCleaned(t *testing.T) {
	mw, err := tenantchi.Middleware(registry{"acme": true}, tenantchi.WithWhitelist("/static/*", "/healthz"))
	if err != nil {
		t.Fatal(err)
	}
	var reached int
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		if _, ok := tenant.FromContext(r.Context()); ok {
			t.Error("whitelisted request carries a tenant")
		}
	}))
	tests := []struct {
		target string // request target, as sent on the wire
		pass   bool
	}{
		{"/static/app.js", true},
		{"/static/", true},
		{"/static", true},
		{"/static/css/site.css", true},
		{"/static/a%20b.png", true},
		{"/healthz", true},
		{"/static/../api", false},
		{"/static/./../api", false},
		{"/static/..", false},
		{"/static/.", false},
		{"/static%2F..%2Fapi", false},
		{"/static%2f..%2fapi", false},
		{"/static/%2e%2e/api", false},
		{"/static/%2E%2E/api", false},
		{"/static/.%2e/api", false},
		{"/static//../api", false},
		{"//static/app.js", false},
		{"/static//app.js", false},
		{`/static/..\api`, false},
		{"/static/..%5Capi", false},
		{"/static/%252e%252e/api", false},
		{"/static%2Fapp.js", false},
		{"/healthz/..", false},
		{"/healthz/../api", false},
		{"/healthz%2F..%2Fapi", false},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			reached = 0
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, readRequest(t, "GET "+tt.target+" HTTP/1.1\r\nHost: other\r\n\r\n"))
			if tt.pass {
				if rec.Code != http.StatusOK || reached != 1 {
					t.Fatalf("code %d, handler ran %d times; want it let through", rec.Code, reached)
				}
				return
			}
			if rec.Code != http.StatusNotFound || reached != 0 {
				t.Fatalf("code %d, handler ran %d times; want 404 and no handler (not whitelisted)", rec.Code, reached)
			}
		})
	}
}

// readRequest parses a request as the server reads it off the wire, so
// that URL.Path and URL.RawPath are what a real request would carry.
func readRequest(t *testing.T, raw string) *http.Request {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("ReadRequest(%q): %v", raw, err)
	}
	req.RemoteAddr = net.JoinHostPort("192.0.2.1", "1234")
	return req
}
