package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/testenv"

	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/example/web"
)

// TestRoutes: bad bodies get 400 with a JSON error and queue nothing,
// an unknown host 404 with a JSON error, /healthz 200 with no tenant,
// and the page names the tenant.
func TestRoutes(t *testing.T) {
	s := startServer(t, t.TempDir())

	bad := map[string]string{
		"not JSON":       `name=Ada`,
		"array":          `[{"name":"Ada","email":"ada@example.com"}]`,
		"unknown field":  `{"name":"Ada","email":"ada@example.com","admin":true}`,
		"two objects":    `{"name":"Ada","email":"ada@example.com"}{}`,
		"no name":        `{"email":"ada@example.com"}`,
		"blank name":     `{"name":"  ","email":"ada@example.com"}`,
		"no email":       `{"name":"Ada"}`,
		"bad email":      `{"name":"Ada","email":"ada"}`,
		"display name":   `{"name":"Ada","email":"Ada <ada@example.com>"}`,
		"email not text": `{"name":"Ada","email":42}`,
		"empty body":     ` `,
		"domain missing": `{"name":"Ada","email":"ada@"}`,
		"name too long":  `{"name":"` + strings.Repeat("a", 201) + `","email":"ada@example.com"}`,
		"body too large": `{"name":"` + strings.Repeat("a", web.MaxBody) + `","email":"ada@example.com"}`,
	}
	for name, body := range bad {
		code, ct, b := s.do(http.MethodPost, host1, "/api/patients", body)
		var e struct{ Error string }
		if code != http.StatusBadRequest || ct != "application/json" || json.Unmarshal(b, &e) != nil || e.Error == "" {
			t.Errorf("%s: %d %s %s, want 400 with a JSON error", name, code, ct, b)
		}
	}

	for _, req := range []struct{ method, path string }{
		{http.MethodGet, "/"}, {http.MethodGet, "/api/hospitals"}, {http.MethodGet, "/api/patients"}, {http.MethodPost, "/api/patients"},
	} {
		body := ""
		if req.method == http.MethodPost {
			body = `{"name":"Eve","email":"eve@example.com"}`
		}
		code, ct, b := s.do(req.method, "tenant-3.localhost:9500", req.path, body)
		if code != http.StatusNotFound || ct != "application/json" || !strings.Contains(string(b), `"unknown tenant"`) {
			t.Errorf("unknown host %s %s: %d %s %s, want 404 JSON", req.method, req.path, code, ct, b)
		}
	}

	for _, host := range []string{"127.0.0.1:9500", "nobody.localhost", host1} {
		code, _, b := s.do(http.MethodGet, host, "/healthz", "")
		if code != http.StatusOK {
			t.Errorf("/healthz on %s: %d %s", host, code, b)
		}
	}

	for host, id := range map[string]string{host1: "tenant-1.localhost", host2: "tenant-2.localhost"} {
		code, ct, b := s.do(http.MethodGet, host, "/", "")
		page := string(b)
		if code != http.StatusOK || !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("GET / on %s: %d %s", host, code, ct)
		}
		for _, want := range []string{`<h1 id="tenant">` + id + `</h1>`, "Hospitals", "Patients", "Add Patient", "/api/patients", "setInterval"} {
			if !strings.Contains(page, want) {
				t.Errorf("GET / on %s: page lacks %q", host, want)
			}
		}
	}

	// Nothing bad was queued: after a drained shutdown no patient is in.
	if code := s.stop(); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, s.stderr)
	}
	s = startServer(t, s.dir)
	for _, host := range []string{host1, host2} {
		if got := patientEmails(s, host); len(got) != 0 {
			t.Errorf("%s patients %q after only bad requests", host, got)
		}
	}
}

// TestShutdown: a cancelled context shuts the server down with status
// 0, and every goroutine it started has ended.
func TestShutdown(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	s := startServer(t, t.TempDir())
	hospitalNames(s, host1)
	code, _, b := s.do(http.MethodPost, host1, "/api/patients", `{"name":"Ada","email":"ada@example.com"}`)
	if code != http.StatusAccepted {
		t.Fatalf("POST: %d %s", code, b)
	}
	if code := s.stop(); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "shutting down") {
		t.Fatalf("no shutdown logged:\n%s", s.stderr)
	}
	// goleak retries while goroutines wind down after Close.
	if err := goleak.Find(ignore); err != nil {
		t.Fatal(err)
	}
}

// TestCommandLine: -h is help (0), a stray argument is usage (2), and
// REDIS_URL without DATABASE_URL is usage (2), serving nothing.
func TestCommandLine(t *testing.T) {
	var out testenv.Buffer
	if code := run(t.Context(), []string{"-h"}, func(string) string { return "" }, &out, nil); code != exitOK || !strings.Contains(out.String(), "-addr") {
		t.Errorf("-h: %d %q", code, out.String())
	}
	out = testenv.Buffer{}
	if code := run(t.Context(), []string{"extra"}, func(string) string { return "" }, &out, nil); code != exitUsage {
		t.Errorf("extra argument: %d %q", code, out.String())
	}
	out = testenv.Buffer{}
	env := func(k string) string {
		if k == "REDIS_URL" {
			return "redis://127.0.0.1:6379/0"
		}
		return ""
	}
	served := false
	code := run(t.Context(), []string{"-data", t.TempDir()}, env, &out, func(string) { served = true })
	if code != exitUsage || served || !strings.Contains(out.String(), "DATABASE_URL is not") {
		t.Errorf("REDIS_URL: %d served=%v %q", code, served, out.String())
	}
}

// TestStartFailure: a tenant database that cannot be opened fails the
// start (1) with the error, and what was opened is closed (goleak).
func TestStartFailure(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tenants", "tenant-2.localhost.db"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out testenv.Buffer
	served := false
	code := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-data", dir}, func(string) string { return "" }, &out, func(string) { served = true })
	if code != exitFailed || served || !strings.Contains(out.String(), "tenant-2.localhost") {
		t.Fatalf("exit %d served=%v:\n%s", code, served, out.String())
	}
	out = testenv.Buffer{}
	if code := run(t.Context(), []string{"-data", dir, "-service", "billing"}, func(string) string { return "" }, &out, nil); code != exitUsage || !strings.Contains(out.String(), `"billing"`) {
		t.Fatalf("unknown service: exit %d:\n%s", code, out.String())
	}
}
