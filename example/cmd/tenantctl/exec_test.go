package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// envRunAsTenantctl, set, makes the test binary run as tenantctl, its
// arguments tenantctl's.
const envRunAsTenantctl = "TENANTCTL_TEST_MAIN"

// tenantSecret is the password in the DSN of the tenants that have
// their own (the test server trusts local connections, so any is
// accepted): like secret, it must never be printed.
const tenantSecret = "tenant-pw-7f3a"

// psql returns the path of psql.
func psql(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("TENANTPLUGIN_PG_BIN"); dir != "" {
		return filepath.Join(dir, "psql")
	}
	p, err := exec.LookPath("psql")
	if err != nil {
		if testenv.Required() {
			t.Fatalf("no psql: set TENANTPLUGIN_PG_BIN (%v)", err)
		}
		t.Skipf("no psql: %v", err)
	}
	return p
}

// execTenants makes n tenants on databases of their own, each with a
// table items holding one row, the tenant's id. Even ones are published
// as a database name alone (merged over DATABASE_URL, whose password is
// secret), odd ones as a full DSN with tenantSecret.
func (c *pcli) execTenants(n int) []string {
	c.t.Helper()
	names := testenv.Databases(c.t, n)
	ids := make([]string, n)
	for i, name := range names {
		ids[i] = fmt.Sprintf("t%d.example", i)
		db, err := sql.Open("pgx", testenv.DSN(c.t, name))
		if err != nil {
			c.t.Fatal(err)
		}
		_, err = db.Exec(`CREATE TABLE items (name text); INSERT INTO items VALUES ('` + ids[i] + `')`)
		_ = db.Close()
		if err != nil {
			c.t.Fatal(err)
		}
		src := tenantconfig.DataSource{Name: name}
		if i%2 == 1 {
			u, err := url.Parse(testenv.DSN(c.t, name))
			if err != nil {
				c.t.Fatal(err)
			}
			u.User = url.UserPassword(u.User.Username(), tenantSecret)
			src = tenantconfig.DataSource{DSN: u.String()}
		}
		cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
			tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: src}},
		}}
		if _, err := c.store.Apply(context.Background(), tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: ids[i], Config: cfg, Create: true}); err != nil {
			c.t.Fatal(err)
		}
	}
	return ids
}

// ctlNoSecret is ctl that also fails the test if the output holds
// tenantSecret.
func (c *pcli) ctlNoSecret(args ...string) (int, string, string) {
	c.t.Helper()
	code, out, errOut := c.ctl(args...)
	if strings.Contains(out+errOut, tenantSecret) {
		c.t.Fatalf("tenantctl %v printed a tenant's password:\n%s%s", args, out, errOut)
	}
	return code, out, errOut
}

// TestExecOwnRows: psql run by exec, through the PG* variables and
// through DATABASE_URL, sees the tenant's rows only, for a tenant given
// as a database name merged over DATABASE_URL and one given as a DSN.
func TestExecOwnRows(t *testing.T) {
	c := newPCLI(t)
	psql := psql(t)
	ids := c.execTenants(2)
	script := `echo "$TENANT_ID"; "$0" -Atc 'select name from items'; "$0" "$DATABASE_URL" -Atc 'select name from items'`
	for _, id := range ids {
		code, out, errOut := c.ctlNoSecret("exec", id, "-v", "--", "sh", "-c", script, psql)
		if code != 0 {
			t.Fatalf("exec %s: exit %d: %s", id, code, errOut)
		}
		if want := id + "\n" + id + "\n" + id + "\n"; out != want {
			t.Fatalf("exec %s printed %q, want %q", id, out, want)
		}
		if !strings.Contains(errOut, "tenantctl exec: "+id+": postgres://") {
			t.Fatalf("-v output: %q", errOut)
		}
	}
}

// TestExecAll runs a command that fails for one tenant on all of them,
// one at a time and two at a time: every tenant's ran, the summary names
// the failed one with its exit status, tenantctl exits 1. A tenant whose
// config no instance would take is reported, not run.
func TestExecAll(t *testing.T) {
	c := newPCLI(t)
	psql := psql(t)
	ids := c.execTenants(3)
	bad := ids[1]
	cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Driver: "sqlite", Name: "x.db"}}},
	}}
	if _, err := c.store.Apply(context.Background(), tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "z-sqlite", Config: cfg, Create: true}); err != nil {
		t.Fatal(err)
	}
	script := `"$0" -Atc 'select name from items' && test "$TENANT_ID" != ` + bad
	for _, parallel := range []string{"1", "2"} {
		t.Run("parallel="+parallel, func(t *testing.T) {
			code, out, errOut := c.ctlNoSecret("exec", "--all", "--parallel", parallel, "--", "sh", "-c", script, psql)
			if code != exitRejected {
				t.Fatalf("exit %d, want %d: %s", code, exitRejected, errOut)
			}
			var want string
			for _, id := range ids {
				if parallel == "1" {
					want += id + "\n"
				} else {
					want += id + ": " + id + "\n"
				}
			}
			got := out
			if parallel != "1" { // in the order they ended
				lines := strings.SplitAfter(strings.TrimSuffix(out, "\n"), "\n")
				lines[len(lines)-1] += "\n"
				slices.Sort(lines)
				got = strings.Join(lines, "")
			}
			if got != want {
				t.Fatalf("stdout %q, want %q (any order with --parallel)", out, want)
			}
			for _, w := range []string{
				"tenantctl exec: 2 ok, 2 failed\n",
				"  " + bad + ": exit status 1\n",
				"  z-sqlite: not run: ",
				`driver "sqlite"`,
			} {
				if !strings.Contains(errOut, w) {
					t.Fatalf("summary lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestExecPasswordOnlyInEnvironment runs tenantctl exec as a process of
// its own, whose command waits on its stdin: while it runs, no command
// line of tenantctl's process tree holds the password, and the
// command's environment does (the test can see it there).
func TestExecPasswordOnlyInEnvironment(t *testing.T) {
	c := newPCLI(t)
	id := c.execTenants(2)[1] // one with tenantSecret in its DSN
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-service", c.service, "exec", "-v", id, "--",
		"sh", "-c", `echo "$$"; read -r line; echo "got $line"`)
	cmd.Env = append(os.Environ(), envRunAsTenantctl+"=1",
		"REDIS_URL="+c.env["REDIS_URL"], "DATABASE_URL="+c.env["DATABASE_URL"],
		"GORACE=atexit_sleep_ms=0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	cmd.WaitDelay = 5 * time.Second // the command may outlive a killed tenantctl
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done, child := false, 0
	defer func() {
		if !done { // the test failed: stop both
			_ = stdin.Close()
			if child > 0 {
				_ = syscall.Kill(child, syscall.SIGKILL)
			}
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	r := bufio.NewReader(stdout)
	line, err := r.ReadString('\n') // the command runs: tenantctl is waiting for it
	if err != nil {
		t.Fatalf("no pid from the command (%v): %s", err, errOut.String())
	}
	if child, err = strconv.Atoi(strings.TrimSpace(line)); err != nil {
		t.Fatal(err)
	}

	tree := processTree(t, cmd.Process.Pid)
	if !slices.Contains(tree, child) {
		t.Fatalf("the command %d is not in tenantctl's process tree %v", child, tree)
	}
	for _, pid := range tree {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{tenantSecret, secret} {
			if bytes.Contains(b, []byte(s)) {
				t.Fatalf("process %d's command line holds a password: %q", pid, b)
			}
		}
	}
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", child))
	if err != nil {
		t.Fatal(err)
	}
	vars := strings.Split(string(environ), "\x00")
	if !slices.Contains(vars, "PGPASSWORD="+tenantSecret) || !slices.Contains(vars, "TENANT_ID="+id) {
		t.Fatalf("the command's environment lacks PGPASSWORD or TENANT_ID: %q", vars)
	}
	if !strings.Contains(string(environ), "DATABASE_URL=postgres://postgres:"+tenantSecret+"@") {
		t.Fatalf("the command's DATABASE_URL lacks the password: %q", vars)
	}

	if _, err := io.WriteString(stdin, "hello\n"); err != nil {
		t.Fatal(err)
	}
	_ = stdin.Close()
	rest, _ := io.ReadAll(r)
	err = cmd.Wait()
	done = true
	if err != nil {
		t.Fatalf("tenantctl: %v: %s", err, errOut.String())
	}
	if string(rest) != "got hello\n" {
		t.Fatalf("the command printed %q after its pid, want its stdin echoed", rest)
	}
	if all := line + string(rest) + errOut.String(); strings.Contains(all, tenantSecret) || strings.Contains(all, secret) {
		t.Fatalf("tenantctl printed a password:\n%s", all)
	}
	if !strings.Contains(errOut.String(), "xxxxx") {
		t.Fatalf("-v output without the masked URL: %q", errOut.String())
	}
}

// processTree returns pid and its descendants, from /proc.
func processTree(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		for p, pp := range parent {
			if pp == tree[i] {
				tree = append(tree, p)
			}
		}
	}
	return tree
}

// TestExecStatuses: the exit status is the command's, 128+N for a
// signal N, 127 for a command not found; an unknown tenant and a
// missing command are refused with nothing run.
func TestExecStatuses(t *testing.T) {
	c := newPCLI(t)
	id := c.execTenants(1)[0]
	marker := filepath.Join(t.TempDir(), "ran")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"exit status", []string{"exec", id, "--", "sh", "-c", "exit 7"}, 7, ""},
		{"signal", []string{"exec", id, "--", "sh", "-c", "kill -TERM $$"}, 128 + 15, ""},
		{"not found", []string{"exec", id, "--", "no-such-command-x"}, exitNotFound, "no-such-command-x"},
		{"unknown tenant", []string{"exec", "nobody.example", "--", "touch", marker}, exitRejected, `tenant "nobody.example": tenant: unknown tenant`},
		{"bad id", []string{"exec", "a/b", "--", "touch", marker}, exitRejected, `tenant "a/b"`},
		{"unknown tenant --all", []string{"exec", "--all", "nobody", "--", "touch", marker}, exitUsage, "not both"},
		{"no command", []string{"exec", id, "--"}, exitUsage, "no command"},
		{"no --", []string{"exec", id, "touch", marker}, exitUsage, "after --"},
		{"no id", []string{"exec", "--", "touch", marker}, exitUsage, "no tenant id"},
		{"parallel without --all", []string{"exec", id, "--parallel", "2", "--", "touch", marker}, exitUsage, "--parallel is for --all"},
		{"parallel 0", []string{"exec", "--all", "--parallel", "0", "--", "touch", marker}, exitUsage, "--parallel 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := c.ctlNoSecret(tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.want)
			}
			if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the command ran: %v", err)
			}
		})
	}
}

// signalWriter closes started at its first Write.
type signalWriter struct {
	once    sync.Once
	started chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.once.Do(func() { close(w.started) })
	return w.buf.Write(p)
}

// TestExecAllCancel: cancelling exec --all while its first command runs
// starts no other, and stops the running one with SIGTERM.
func TestExecAllCancel(t *testing.T) {
	c := newPCLI(t)
	ids := c.execTenants(3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &signalWriter{started: make(chan struct{})}
	var errOut bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"-service", c.service, "exec", "--all", "--", "sh", "-c", "echo started; exec sleep 60"},
			func(k string) string { return c.env[k] }, out, &errOut)
	}()
	<-out.started
	began := time.Now()
	cancel()
	if got := <-code; got != exitRejected {
		t.Fatalf("exit %d, want %d: %s", got, exitRejected, errOut.String())
	}
	if d := time.Since(began); d > killAfter {
		t.Fatalf("took %v to stop: the command was not sent SIGTERM", d)
	}
	for _, w := range []string{
		"0 ok, 1 failed, 2 not run (stopped)",
		"  " + ids[0] + ": exit status 143 (signal: terminated)",
		"  not run: " + ids[1] + " " + ids[2],
	} {
		if !strings.Contains(errOut.String(), w) {
			t.Fatalf("summary lacks %q:\n%s", w, errOut.String())
		}
	}
	if out.buf.String() != "started\n" {
		t.Fatalf("stdout %q: another command ran", out.buf.String())
	}
}
