package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/testenv"

	"github.com/tenantrouter/tenantplugin/example/web"
)

// testServer is the command running on a loopback port, its databases
// in a test directory.
type testServer struct {
	t      *testing.T
	addr   string
	dir    string
	client *http.Client
	cancel context.CancelFunc
	code   chan int
	stderr *testenv.Buffer
}

// startServer runs the command on 127.0.0.1:0 with its data in dir and
// returns once it serves. Stop ends it.
func startServer(t *testing.T, dir string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{
		t: t, dir: dir, cancel: cancel, code: make(chan int, 1), stderr: &testenv.Buffer{},
		client: &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second},
	}
	ready := make(chan string, 1)
	go func() {
		s.code <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", dir}, func(string) string { return "" }, s.stderr,
			func(addr string) { ready <- addr })
	}()
	select {
	case s.addr = <-ready:
	case code := <-s.code:
		cancel()
		t.Fatalf("server exited with %d before serving:\n%s", code, s.stderr)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("server not serving after 30s:\n%s", s.stderr)
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// stop shuts the server down and returns its exit status (-1 once
// stopped already).
func (s *testServer) stop() int {
	if s.cancel == nil {
		return -1
	}
	s.cancel()
	s.cancel = nil
	s.client.CloseIdleConnections()
	select {
	case code := <-s.code:
		return code
	case <-time.After(30 * time.Second):
		s.t.Fatalf("server not stopped after 30s:\n%s", s.stderr)
		return -1
	}
}

// do sends a request for host and returns the status, the content type
// and the body.
func (s *testServer) do(method, host, path, body string) (int, string, []byte) {
	s.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+s.addr+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Host = host
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// getJSON GETs path as host, wants 200 and decodes the body into v.
func (s *testServer) getJSON(host, path string, v any) {
	s.t.Helper()
	code, ct, body := s.do(http.MethodGet, host, path, "")
	if code != http.StatusOK || ct != "application/json" {
		s.t.Fatalf("GET %s%s: %d %s %s", host, path, code, ct, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		s.t.Fatalf("GET %s%s: %v: %s", host, path, err, body)
	}
}

const (
	host1 = "tenant-1.localhost:9500"
	host2 = "tenant-2.localhost:9500"
)

func hospitalNames(s *testServer, host string) []string {
	var hs []web.HospitalView
	s.getJSON(host, "/api/hospitals", &hs)
	names := make([]string, len(hs))
	for i, h := range hs {
		if h.ID == 0 || h.Address == "" {
			s.t.Errorf("%s: hospital %+v has no id or address", host, h)
		}
		names[i] = h.Name
	}
	return names
}

func patientEmails(s *testServer, host string) []string {
	var ps []web.PatientView
	s.getJSON(host, "/api/patients", &ps)
	emails := make([]string, len(ps))
	for i, p := range ps {
		emails[i] = p.Email
	}
	return emails
}

// TestHospitalsPerTenant: each tenant lists its own seeded hospitals,
// and a restart on the same data seeds nothing twice.
func TestHospitalsPerTenant(t *testing.T) {
	dir := t.TempDir()
	for round := range 2 {
		s := startServer(t, dir)
		want := map[string][]string{
			host1: {"Main hospital", "Hospital of tenant-1.localhost"},
			host2: {"Main hospital", "Hospital of tenant-2.localhost"},
		}
		for host, w := range want {
			if got := hospitalNames(s, host); !slices.Equal(got, w) {
				t.Errorf("round %d: %s hospitals %q, want %q", round, host, got, w)
			}
		}
		if code := s.stop(); code != exitOK {
			t.Fatalf("round %d: exit %d:\n%s", round, code, s.stderr)
		}
	}
}

// TestAddPatient: a patient posted on tenant-2 is accepted (202), is
// inserted by the background task into tenant-2's database, and never
// shows on tenant-1.
func TestAddPatient(t *testing.T) {
	s := startServer(t, t.TempDir())
	const email = "grace@example.com"
	code, ct, body := s.do(http.MethodPost, host2, "/api/patients", `{"name":"Grace Hopper","email":"`+email+`"}`)
	if code != http.StatusAccepted || ct != "application/json" {
		t.Fatalf("POST: %d %s %s", code, ct, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(patientEmails(s, host2), email) {
		if time.Now().After(deadline) {
			t.Fatalf("patient not on tenant-2 after 10s:\n%s", s.stderr)
		}
		if got := patientEmails(s, host1); len(got) != 0 {
			t.Fatalf("tenant-1 has patients %q", got)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
	var ps []web.PatientView
	s.getJSON(host2, "/api/patients", &ps)
	if len(ps) != 1 || ps[0].Name != "Grace Hopper" || ps[0].ID == 0 {
		t.Fatalf("tenant-2 patients %+v", ps)
	}
	code, ct, body = s.do(http.MethodPost, host2, "/api/patients", `{"name":"Grace again","email":"`+email+`"}`)
	if code != http.StatusConflict || ct != "application/json" || !strings.Contains(string(body), `"error"`) {
		t.Fatalf("POST of a known email: %d %s %s, want 409 JSON", code, ct, body)
	}
	// The same email is new to tenant-1.
	if code, _, body = s.do(http.MethodPost, host1, "/api/patients", `{"name":"Grace","email":"`+email+`"}`); code != http.StatusAccepted {
		t.Fatalf("POST on tenant-1: %d %s", code, body)
	}
	// Shutdown drains the runner: a patient queued last is in once it
	// returns, and still not on tenant-1.
	code, _, body = s.do(http.MethodPost, host2, "/api/patients", `{"name":"Ada","email":"ada@example.com"}`)
	if code != http.StatusAccepted {
		t.Fatalf("POST: %d %s", code, body)
	}
	if code := s.stop(); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, s.stderr)
	}
	s = startServer(t, s.dir)
	if got := patientEmails(s, host2); !slices.Equal(got, []string{email, "ada@example.com"}) {
		t.Fatalf("tenant-2 patients after restart %q", got)
	}
	if got := patientEmails(s, host1); !slices.Equal(got, []string{email}) {
		t.Fatalf("tenant-1 patients after restart %q", got)
	}
}
