package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/provision"
)

// envExitAfter, set, makes the test binary run as tenantctl (its
// arguments are tenantctl's) and exit with status exitKilled right after
// the named step of create or delete: a crash between two steps.
const (
	envExitAfter = "TENANTCTL_TEST_EXIT_AFTER"
	exitKilled   = 3
)

func TestMain(m *testing.M) {
	if os.Getenv(envRunAsTenantctl) != "" {
		os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	if step := os.Getenv(envExitAfter); step != "" {
		os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr,
			provision.WithStepDone(func(s provision.Step) {
				if string(s) == step {
					os.Exit(exitKilled)
				}
			})))
	}
	goleak.VerifyTestMain(m)
}

type cli struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	mr := miniredis.RunT(t)
	return &cli{t: t, env: map[string]string{"REDIS_URL": "redis://" + mr.Addr() + "/0"}}
}

// run runs tenantctl and returns its exit status and output.
func (c *cli) run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return c.env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

func (c *cli) must(args ...string) string {
	c.t.Helper()
	code, out, errOut := c.run(args...)
	if code != 0 {
		c.t.Fatalf("tenantctl %v: exit %d: %s", args, code, errOut)
	}
	return out
}

func TestCommands(t *testing.T) {
	c := newCLI(t)
	file := filepath.Join("..", "..", "tenant_config.json")

	out := c.must("load", file, "--dry-run")
	if !strings.Contains(out, "+ tenant-1.localhost") || !strings.Contains(out, "nothing written") {
		t.Fatalf("dry run output:\n%s", out)
	}
	if strings.Contains(out, "tenant-1-password") || strings.Contains(out, "tenant-2-password") {
		t.Fatalf("dry run shows a password:\n%s", out)
	}
	if got := c.must("list"); got != "" {
		t.Fatalf("dry run wrote: %q", got)
	}
	c.must("load", file)
	if got := c.must("list"); got != "tenant-1.localhost\ntenant-2.localhost\n" {
		t.Fatalf("list after load = %q", got)
	}
	if out := c.must("load", file); !strings.Contains(out, "no change") {
		t.Fatalf("second load: %q", out)
	}

	c.must("add", "tenant-3.localhost", "--set", "POSTGRES_URL=postgres://u:tenant-3-password@db/t3")
	c.must("update", "--dsn", "postgres://u:tenant-3-new@db/t3b", "tenant-3.localhost")
	show := c.must("show", "tenant-3.localhost")
	if strings.Contains(show, "tenant-3-new") || !strings.Contains(show, "t3b") || !strings.Contains(show, "[redacted]") {
		t.Fatalf("show:\n%s", show)
	}
	c.must("remove", "tenant-3.localhost")
	if got := c.must("list"); strings.Contains(got, "tenant-3") {
		t.Fatalf("removed tenant listed: %q", got)
	}
}

func TestRejections(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"tenant_config": {"a/b": {"hospital": {"orm_config": {"gorm": {"default": {"driver": "mysql", "password": "hunter2"}}}}}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	mysql := filepath.Join(dir, "mysql.json")
	if err := os.WriteFile(mysql, []byte(`{"tenant_config": {"beta": {"hospital": {"orm_config": {"gorm": {"default": {"driver": "mysql", "dsn": "mysql://u:hunter2@db/x"}}}}}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c.must("add", "acme", "--dsn", "postgres://db/acme")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad file", []string{"load", bad}, 1, "$.tenant_config"},
		{"unsupported driver", []string{"load", mysql}, 1, "unsupported driver"},
		{"missing file", []string{"load", filepath.Join(dir, "nope.json")}, 1, "no such file"},
		{"add existing", []string{"add", "acme", "--dsn", "postgres://db/x"}, 1, "exists"},
		{"update missing", []string{"update", "nobody", "--dsn", "postgres://db/x"}, 1, "unknown tenant"},
		{"remove missing", []string{"remove", "nobody"}, 1, "unknown tenant"},
		{"bad id", []string{"add", "../x", "--dsn", "postgres://db/x"}, 1, "invalid tenant id"},
		{"bad dsn", []string{"add", "beta", "--dsn", "postgres://u:hunter2@db:99999999/x"}, 1, "dsn"},
		{"set without mapping", []string{"add", "beta", "--set", "POSTGRES_URL=postgres://db/x"}, 1, "mapping"},
		{"show missing", []string{"show", "nobody"}, 1, "unknown tenant"},
		{"no command", nil, 2, "no command"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"add without value", []string{"add", "beta"}, 2, "--dsn or --set"},
		{"bad flag", []string{"add", "beta", "--nope"}, 2, "flag provided but not defined"},
		{"extra argument", []string{"remove", "a", "b"}, 2, "unexpected"},
		{"dsn without flag", []string{"add", "beta", "postgres://u:hunter2@db/x"}, 2, "unexpected"},
		{"set twice", []string{"add", "beta", "--set", "P=postgres://u:hunter2@db/x", "--set", "P=postgres://u:hunter2@db/y"}, 2, "twice"},
		{"set without key", []string{"add", "beta", "--set", "=postgres://u:hunter2@db/x"}, 2, "KEY=VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := c.run(tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.want)
			}
			if strings.Contains(errOut, "hunter2") {
				t.Fatalf("stderr shows a password: %q", errOut)
			}
			if got := c.must("list"); got != "acme\n" {
				t.Fatalf("a rejected command wrote: %q", got)
			}
		})
	}
	delete(c.env, "REDIS_URL")
	if code, _, errOut := c.run("list"); code != 2 || !strings.Contains(errOut, "REDIS_URL") {
		t.Fatalf("no Redis: exit %d %q", code, errOut)
	}
}

// TestRedisURLForms: Sentinel and Cluster URLs are taken (go-redis's
// forms), and a bad URL is refused with its reason, without its
// passwords. The topologies themselves are used in internal/e2e.
func TestRedisURLForms(t *testing.T) {
	const pw, spw = "hunter2-master", "hunter2-sentinel"
	for _, tt := range []struct{ url, want string }{
		{"redis://:" + spw + "@127.0.0.1:26379/0?master_name=", "empty master_name"},
		{"redis://:" + spw + "@127.0.0.1:26379/0?master_name=m&password=" + pw + "&frob=1", "unexpected option: frob"},
		{"redis://:" + pw + "@127.0.0.1:7000?addr=127.0.0.1:7001&addr=" + pw, "unable to parse addr param"},
		{"redis://:" + pw + "@127.0.0.1:7000/3?addr=127.0.0.1:7001", "database 0 only"},
		{"redis://:" + pw + "@127.0.0.1:6379/x", "invalid database number"},
	} {
		c := &cli{t: t, env: map[string]string{"REDIS_URL": tt.url}}
		code, _, errOut := c.run("list")
		if code != exitUsage || !strings.Contains(errOut, "bad Redis URL") || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tt.url, code, errOut, exitUsage, tt.want)
		}
		if strings.Contains(errOut, "hunter2") {
			t.Errorf("%s: stderr shows a password: %q", tt.url, errOut)
		}
	}
	// Sentinel and Cluster URLs parse: the command then fails to reach
	// the (closed) ports, and says so without a password.
	for _, u := range []string{
		"redis://:" + spw + "@127.0.0.1:1/0?master_name=m&addr=127.0.0.1:2&password=" + pw + "&dial_timeout=100ms&max_retries=-1",
		"redis://:" + pw + "@127.0.0.1:1?addr=127.0.0.1:2&dial_timeout=100ms&max_retries=-1",
	} {
		c := &cli{t: t, env: map[string]string{"REDIS_URL": u}}
		code, _, errOut := c.run("list")
		if code != exitRejected || strings.Contains(errOut, "bad Redis URL") || strings.Contains(errOut, "hunter2") {
			t.Errorf("%s: exit %d, stderr %q; want %d, a connection error", u, code, errOut, exitRejected)
		}
	}
}
