package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/example/web"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

// start runs the command with args on 127.0.0.1:0 and returns its
// address once it serves, and its log; it is stopped, and must exit 0,
// when the test ends.
func start(t *testing.T, args ...string) (string, *testenv.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &testenv.Buffer{}
	code := make(chan int, 1)
	ready := make(chan string, 1)
	go func() {
		code <- run(ctx, append(args, "-addr", "127.0.0.1:0"), stderr, func(addr string) { ready <- addr })
	}()
	var addr string
	select {
	case addr = <-ready:
	case c := <-code:
		cancel()
		t.Fatalf("loadserver %v exited with %d before serving:\n%s", args, c, stderr)
	case <-time.After(60 * time.Second):
		cancel()
		<-code
		t.Fatalf("loadserver %v not serving after 60s:\n%s", args, stderr)
	}
	t.Cleanup(func() {
		cancel()
		if c := <-code; c != exitOK {
			t.Errorf("loadserver %v exited with %d:\n%s", args, c, stderr)
		}
		if !strings.Contains(stderr.String(), "loadserver: pool waits: ") {
			t.Errorf("loadserver %v did not report its pools' waits:\n%s", args, stderr)
		}
	})
	return addr, stderr
}

// get sends GET path to addr with the Host header host and returns the
// status and body.
func get(t *testing.T, addr, host, path string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	c := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func hospitals(t *testing.T, addr, host string) ([]web.HospitalView, []byte) {
	t.Helper()
	code, body := get(t, addr, host, "/api/hospitals")
	if code != http.StatusOK {
		t.Fatalf("GET /api/hospitals (Host %s): %d %s", host, code, body)
	}
	var rows []web.HospitalView
	if err := json.Unmarshal(body, &rows); err != nil {
		t.Fatalf("GET /api/hospitals (Host %s): %v: %s", host, err, body)
	}
	return rows, body
}

// TestModesServeTheSameHospitals runs both modes on real PostgreSQL:
// each tenant's database and the single database answer the same
// rows, the seeded ones, with the same bytes; the tenant mode reads
// each tenant's own database and refuses a host that is no tenant; and
// -pprof serves the profiles at the address the serving line names.
func TestModesServeTheSameHospitals(t *testing.T) {
	dsn := testenv.PostgresURL(t)
	dbs := testenv.Databases(t, 4)
	single, _ := start(t, "-mode", "single", "-dsn", dsn, "-db", dbs[0], "-pool", "4")
	multi, log := start(t, "-mode", "tenant", "-dsn", dsn, "-central", dbs[1], "-tenant-dbs", dbs[2]+","+dbs[3],
		"-pool", "4", "-pprof", "127.0.0.1:0")
	// The serving line names the pprof address, which serves the
	// profiles.
	m := regexp.MustCompile(`loadserver: serving mode=tenant addr=\S+ pprof=(\S+) gomaxprocs=\d+ pool=4\n`).FindStringSubmatch(log.String())
	if m == nil {
		t.Fatalf("no serving line with the pprof address:\n%s", log)
	}
	if code, body := get(t, m[1], m[1], "/debug/pprof/cmdline"); code != http.StatusOK {
		t.Errorf("GET /debug/pprof/cmdline: %d %s", code, body)
	}

	want := seedHospitals()
	rows, singleBody := hospitals(t, single, "localhost")
	if len(rows) != len(want) {
		t.Fatalf("single: %d hospitals, want %d: %s", len(rows), len(want), singleBody)
	}
	for i, r := range rows {
		if r.ID == 0 || r.Name != want[i].Name || r.Address != want[i].Address {
			t.Errorf("single: hospital %d is %+v, want %s at %s", i, r, want[i].Name, want[i].Address)
		}
	}
	for _, host := range []string{"tenant-1.localhost", "tenant-2.localhost:80"} {
		if _, body := hospitals(t, multi, host); !bytes.Equal(body, singleBody) {
			t.Errorf("tenant %s answers\n%s\nthe single mode\n%s", host, body, singleBody)
		}
	}

	// A row gone from tenant-2's database is gone from tenant-2 alone.
	db, err := sql.Open("pgx", testenv.DSN(t, dbs[3]))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DELETE FROM hospitals WHERE name = $1", want[len(want)-1].Name); err != nil {
		t.Fatal(err)
	}
	if rows, _ := hospitals(t, multi, "tenant-2.localhost"); len(rows) != len(want)-1 {
		t.Errorf("tenant-2 after a delete in its database: %d hospitals, want %d", len(rows), len(want)-1)
	}
	if _, body := hospitals(t, multi, "tenant-1.localhost"); !bytes.Equal(body, singleBody) {
		t.Errorf("tenant-1 after a delete in tenant-2's database answers\n%s\nwant\n%s", body, singleBody)
	}

	for _, host := range []string{"tenant-3.localhost", "localhost", "127.0.0.1"} {
		if code, body := get(t, multi, host, "/api/hospitals"); code != http.StatusNotFound {
			t.Errorf("tenant mode, Host %s: %d %s, want 404", host, code, body)
		}
	}
}

// TestSeedTwice restarts the single mode on its database: the hospitals
// are found, not added again.
func TestSeedTwice(t *testing.T) {
	dsn := testenv.PostgresURL(t)
	name := testenv.Databases(t, 1)[0]
	for range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		code := make(chan int, 1)
		stderr := &testenv.Buffer{}
		go func() {
			code <- run(ctx, []string{"-mode", "single", "-dsn", dsn, "-db", name, "-addr", "127.0.0.1:0"}, stderr, func(string) { cancel() })
		}()
		if c := <-code; c != exitOK {
			t.Fatalf("loadserver exited with %d:\n%s", c, stderr)
		}
	}
	db, err := sql.Open("pgx", testenv.DSN(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM hospitals").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(seedHospitals()) {
		t.Errorf("%d hospitals after two starts, want %d", n, len(seedHospitals()))
	}
}

// TestUsage refuses bad command lines with exit status 2, naming what
// was wrong, before touching a database.
func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no mode", []string{"-dsn", "postgres://x/y"}, "-mode must be single or tenant"},
		{"unknown mode", []string{"-mode", "both", "-dsn", "postgres://x/y"}, `got "both"`},
		{"no dsn", []string{"-mode", "single"}, "-dsn must name"},
		{"pool 0", []string{"-mode", "single", "-dsn", "postgres://x/y", "-pool", "0"}, "-pool must be at least 1"},
		{"no tenants", []string{"-mode", "tenant", "-dsn", "postgres://x/y", "-tenant-dbs", " , "}, "-tenant-dbs must name"},
		{"argument", []string{"-mode", "single", "-dsn", "postgres://x/y", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if c := run(context.Background(), tt.args, &stderr, nil); c != exitUsage {
				t.Errorf("exit %d, want %d:\n%s", c, exitUsage, &stderr)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not say %q", stderr.String(), tt.want)
			}
		})
	}
}
