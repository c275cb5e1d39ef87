package tenantchi_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

// hostile are Host values a client may send, with the answer each gets
// from the default middleware when only "acme" and
// "xn--hpital-dva.example.com" are registered, and the id the registry is
// asked about ("" when it must not be asked: the host is refused before).
var hostile = []struct {
	name  string
	host  string
	code  int
	asked string
}{
	{"empty", "", 400, ""},
	{"IPv6 literal", "[::1]", 404, "::1"},
	{"IPv6 literal with port", "[::1]:8080", 404, "::1"},
	{"IPv6 literal, long form", "[0:0:0:0:0:0:0:1]:80", 404, "::1"},
	{"IPv6 without brackets", "::1", 400, ""},
	{"IPv6 with zone", "[fe80::1%25eth0]:80", 400, ""},
	{"IPv6 unclosed", "[::1", 400, ""},
	{"IPv4", "10.0.0.1:80", 404, "10.0.0.1"},
	{"very long", strings.Repeat("a", 8000) + ".example.com", 400, ""},
	{"very long, valid labels", strings.Repeat("abcdefghij.", 12) + "com", 400, ""},
	{"non-ASCII", "hôpital.example.com", 400, ""},
	{"non-UTF-8", "\xff\xfe.example.com", 400, ""},
	{"punycode, unknown", "xn--hpital-dva.example.org", 404, "xn--hpital-dva.example.org"},
	{"punycode, registered", "XN--HPITAL-DVA.example.com", 200, "xn--hpital-dva.example.com"},
	{"dot-dot", "..", 400, ""},
	{"dot-dot inside", "acme..example.com", 400, ""},
	{"dot", ".", 400, ""},
	{"trailing dot", "acme.", 200, "acme"},
	{"two trailing dots", "acme..", 400, ""},
	{"upper case", "ACME", 200, "acme"},
	{"upper case, port, trailing dot", "AcMe.:8443", 200, "acme"},
	{"bad port", "acme:http", 400, ""},
	{"port too long", "acme:999999", 400, ""},
	{"only a port", ":80", 400, ""},
	{"slash", "acme/../beta", 400, ""},
	{"backslash", `acme\beta`, 400, ""},
	{"percent", "%61cme", 400, ""},
	{"NUL", "acme\x00", 400, ""},
	{"CRLF", "acme\r\nX-Tenant: beta", 400, ""},
	{"space", "acme beta", 400, ""},
	{"userinfo", "beta@acme", 400, ""},
	{"HTML", "<script>alert(1)</script>", 400, ""},
	{"JSON", `"},{"error":"x`, 400, ""},
}

// TestHostileHosts: every hostile Host gets 400 or 404 with one of the
// three fixed JSON bodies (never the host echoed, never a 500), the next
// handler never runs for them, and the registry is asked only about a
// host that was normalised to a well-formed id.
func TestHostileHosts(t *testing.T) {
	reg := &countingRegistry{tenants: registry{"acme": true, "xn--hpital-dva.example.com": true}}
	next := &recorder{}
	r := chi.NewRouter()
	r.Use(mustMiddleware(t, reg))
	r.Get("/", next.ServeHTTP)
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(r, tt.host, "/", nil)
			asked := strings.Join(reg.take(), ",")
			calls := next.take()
			if rec.Code != tt.code || asked != tt.asked {
				t.Fatalf("Host %q: %d %q, registry asked %q; want %d, asked %q", tt.host, rec.Code, rec.Body, asked, tt.code, tt.asked)
			}
			if tt.code == 200 {
				if calls != 1 {
					t.Fatalf("next ran %d times, want once", calls)
				}
				return
			}
			if calls != 0 {
				t.Fatalf("next ran %d times for a refused host", calls)
			}
			checkRefusal(t, rec.Code, rec.Header(), rec.Body.String())
		})
	}
}

// checkRefusal checks a refusal is the default one: a fixed JSON body
// for its status.
func checkRefusal(t *testing.T, code int, h http.Header, body string) {
	t.Helper()
	want := map[string]bool{noTenant: code == 400, invalid: code == 400, unknown: code == 404}
	if !want[body] {
		t.Fatalf("status %d with body %q, want one of the default JSON bodies for it", code, body)
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
}

// TestHostileHostsOnTheWire: requests sent over a real connection,
// among them HTTP/1.0 with no Host header, which only a raw request can
// send. Go's server refuses some Host values itself (also 400); the rest
// reach the middleware. None reaches the next handler, none gets a 500.
func TestHostileHostsOnTheWire(t *testing.T) {
	reg := &countingRegistry{tenants: registry{"acme": true}}
	next := &recorder{}
	r := chi.NewRouter()
	r.Use(mustMiddleware(t, reg))
	r.Get("/", next.ServeHTTP)
	srv := httptest.NewServer(r)
	defer srv.Close()

	tests := []struct {
		name    string
		request string
		code    int
		body    string // "" for a refusal by Go's server, not checked
		asked   string
	}{
		{"HTTP/1.0, no Host", "GET / HTTP/1.0\r\n\r\n", 400, noTenant, ""},
		{"HTTP/1.0, empty Host", "GET / HTTP/1.0\r\nHost:\r\n\r\n", 400, noTenant, ""},
		{"HTTP/1.1, no Host", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 400, "", ""},
		{"IPv6 with port", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n", 404, unknown, "::1"},
		{"IPv6", "GET / HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n", 404, unknown, "::1"},
		{"non-ASCII", "GET / HTTP/1.1\r\nHost: hôpital.example.com\r\nConnection: close\r\n\r\n", 400, "", ""},
		{"dot-dot", "GET / HTTP/1.1\r\nHost: ..\r\nConnection: close\r\n\r\n", 400, invalid, ""},
		{"very long", "GET / HTTP/1.1\r\nHost: " + strings.Repeat("a", 4000) + "\r\nConnection: close\r\n\r\n", 400, invalid, ""},
		{"absolute URI names the host", "GET http://ACME./ HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n", 200, "ok acme /", "acme"},
		{"upper case, trailing dot", "GET / HTTP/1.1\r\nHost: ACME.:80\r\nConnection: close\r\n\r\n", 200, "ok acme /", "acme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, h, body := rawRequest(t, srv.Listener.Addr().String(), tt.request)
			asked := strings.Join(reg.take(), ",")
			calls := next.take()
			if code != tt.code || tt.body != "" && body != tt.body || asked != tt.asked {
				t.Fatalf("%d %q, registry asked %q; want %d %q, asked %q", code, body, asked, tt.code, tt.body, tt.asked)
			}
			if tt.code == 200 {
				if calls != 1 {
					t.Fatalf("next ran %d times, want once", calls)
				}
				return
			}
			if calls != 0 {
				t.Fatalf("next ran %d times for a refused request", calls)
			}
			if tt.body != "" {
				checkRefusal(t, code, h, body)
			}
		})
	}
}

// rawRequest writes request on a new connection to addr and reads the
// response.
func rawRequest(t *testing.T, addr, request string) (int, http.Header, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

// TestRefusedRequestsSendNoSQL: the middleware over a real resolver and
// the plugin, with every statement counted per database: hostile hosts
// and unknown tenants send no statement anywhere and open no pool, while
// a known tenant's request reaches its database (the counter works).
func TestRefusedRequestsSendNoSQL(t *testing.T) {
	backends := []fixture.Backend{fixture.SQLite, fixture.Postgres}
	if !testenv.Required() && os.Getenv(testenv.EnvPG) == "" {
		backends = backends[:1]
		t.Logf("PostgreSQL part skipped: %s not set", testenv.EnvPG)
	}
	for _, b := range backends {
		t.Run(string(b), func(t *testing.T) {
			e := fixture.New(t, b, fixture.Options{Tenants: 2})
			var ran int
			r := chi.NewRouter()
			r.Use(mustMiddleware(t, e.Resolver))
			r.Get("/", func(w http.ResponseWriter, r *http.Request) {
				ran++
				var one int
				if err := e.DB.WithContext(r.Context()).Raw("SELECT 1").Scan(&one).Error; err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				fmt.Fprint(w, "ok")
			})
			before, opened := e.Counter.Total(), e.Resolver.Stats().Opened
			for _, tt := range hostile {
				rec := do(r, tt.host, "/", nil)
				if rec.Code != 400 && rec.Code != 404 {
					t.Errorf("Host %q: %d %q, want 400 or 404", tt.host, rec.Code, rec.Body)
				}
			}
			for _, host := range []string{"t99", "T99:80", "central", "t00.example.com", "t0"} {
				if rec := do(r, host, "/", nil); rec.Code != 404 {
					t.Errorf("Host %q: %d %q, want 404", host, rec.Code, rec.Body)
				}
			}
			if got := e.Counter.Total(); got != before || ran != 0 || e.Resolver.Stats().Opened != opened {
				t.Fatalf("refused requests: %d statements sent (%s), handler ran %d times, %d pools opened",
					got-before, e.Counter, ran, e.Resolver.Stats().Opened-opened)
			}
			if rec := do(r, "T01:8080", "/", nil); rec.Code != 200 || e.Counter.Get(e.Tenants[1]) == 0 {
				t.Fatalf("known tenant: %d %q, %s; want 200 and a statement on %s", rec.Code, rec.Body, e.Counter, e.Tenants[1])
			}
		})
	}
}
