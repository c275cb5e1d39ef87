package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Settings of the PgBouncer that [PgBouncer] starts.
const (
	// EnvPgBouncerBin names the pgbouncer binary; default: pgbouncer on
	// PATH, then /usr/sbin/pgbouncer.
	EnvPgBouncerBin = "TENANTPLUGIN_PGBOUNCER_BIN"
	// PgBouncerPoolSize is its default_pool_size: server connections per
	// database. It is small, so that clients share server connections:
	// a prepared statement of one client's session is found, or missed,
	// on another's.
	PgBouncerPoolSize = 2
	// PgBouncerMaxClients is its max_client_conn.
	PgBouncerMaxClients = 500
)

// M is what a TestMain runs: *testing.M, or a runner wrapping it.
type M interface{ Run() int }

var bouncer struct {
	mu      sync.Mutex
	on      bool   // WithPgBouncer's runner is running
	started bool   // start was tried
	url     string // base URL, "" when start failed
	err     error
	cmd     *exec.Cmd
	dir     string
}

// WithPgBouncer returns a runner for TestMain that runs m and then stops
// the PgBouncer that [PgBouncer] started, if any:
//
//	goleak.VerifyTestMain(testenv.WithPgBouncer(m))
func WithPgBouncer(m M) M { return bouncerRunner{m} }

type bouncerRunner struct{ m M }

// Run runs the tests, then stops the bouncer.
func (r bouncerRunner) Run() int {
	bouncer.mu.Lock()
	bouncer.on = true
	bouncer.mu.Unlock()
	code := r.m.Run()
	if err := stopPgBouncer(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stop pgbouncer: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// PgBouncer returns the base URL (database postgres) of a PgBouncer in
// transaction pool mode in front of the test PostgreSQL server: every
// database of the server is reachable through it, with
// [PgBouncerPoolSize] server connections each. It starts once per test
// binary, on a free loopback port, and stops when the runner of
// [WithPgBouncer], which the package's TestMain must use, returns.
// [BouncerDSN] gives a database's URL through it. It skips without
// PostgreSQL or without pgbouncer, or fails with
// TENANTPLUGIN_INTEGRATION=1.
func PgBouncer(tb testing.TB) string {
	tb.Helper()
	pgURL := PostgresURL(tb)
	bouncer.mu.Lock()
	defer bouncer.mu.Unlock()
	if !bouncer.on {
		tb.Fatal("testenv.PgBouncer: the package's TestMain must run its tests through testenv.WithPgBouncer")
	}
	if _, err := pgbouncerBin(); err != nil {
		if Required() {
			tb.Fatalf("%v, but %s=1", err, EnvIntegration)
		}
		tb.Skip(err)
	}
	if !bouncer.started {
		bouncer.started = true
		bouncer.url, bouncer.err = startPgBouncer(pgURL)
	}
	if bouncer.err != nil {
		tb.Fatalf("pgbouncer: %v", bouncer.err)
	}
	return bouncer.url
}

// BouncerDSN returns the URL of database name through [PgBouncer].
func BouncerDSN(tb testing.TB, name string) string {
	tb.Helper()
	u, err := url.Parse(PgBouncer(tb))
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// startPgBouncer starts pgbouncer in front of the server of pgURL; the
// caller holds bouncer.mu.
func startPgBouncer(pgURL string) (string, error) {
	u, err := url.Parse(pgURL)
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvPG, err)
	}
	bin, err := pgbouncerBin()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "tenantplugin-pgbouncer-")
	if err != nil {
		return "", err
	}
	cred, err := runAs(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", err
	}
	// The port may be taken between the probe and pgbouncer's bind: try
	// a few.
	for range 5 {
		port, err := freePort()
		if err != nil {
			break
		}
		cmd, err := launch(bin, dir, cred, u, port)
		if err != nil {
			_ = os.RemoveAll(dir)
			return "", err
		}
		if err := waitListening(cmd, port); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			continue
		}
		bouncer.cmd, bouncer.dir = cmd, dir
		b := *u
		b.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		b.Path = "/postgres"
		return b.String(), nil
	}
	log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
	_ = os.RemoveAll(dir)
	return "", fmt.Errorf("did not start: %s", log)
}

// launch writes the configuration for port and starts pgbouncer in the
// foreground.
func launch(bin, dir string, cred *syscall.Credential, pg *url.URL, port int) (*exec.Cmd, error) {
	user := pg.User.Username()
	if user == "" {
		user = "postgres"
	}
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = %d
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = %d
server_login_retry = 1
server_idle_timeout = 60
logfile = %s
pidfile =
log_connections = 0
log_disconnections = 0
admin_users = %s
`, pg.Hostname(), pg.Port(), port, filepath.Join(dir, "users.txt"), PgBouncerPoolSize,
		PgBouncerMaxClients, filepath.Join(dir, "pgbouncer.log"), user)
	users := fmt.Sprintf("%q \"\"\n", user)
	for name, text := range map[string]string{"pgbouncer.ini": ini, "users.txt": users} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	// The bouncer dies with the test binary, even when it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	out, err := os.OpenFile(filepath.Join(dir, "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer func() { _ = out.Close() }()
	cmd.Stdout, cmd.Stderr = out, out // files: no copying goroutine
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	return cmd, nil
}

// runAs returns the credentials to run pgbouncer with, which refuses to
// run as root: the postgres user's, with dir handed over to it.
func runAs(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgbouncer refuses to run as root, and there is no postgres user to run it as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func pgbouncerBin() (string, error) {
	if b := os.Getenv(EnvPgBouncerBin); b != "" {
		return b, nil
	}
	if b, err := exec.LookPath("pgbouncer"); err == nil {
		return b, nil
	}
	if _, err := os.Stat("/usr/sbin/pgbouncer"); err == nil {
		return "/usr/sbin/pgbouncer", nil
	}
	return "", fmt.Errorf("pgbouncer not found (install the pgbouncer package, or set %s)", EnvPgBouncerBin)
}

// freePort returns a loopback port nobody listened on a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitListening waits until pgbouncer accepts connections on port, or
// has exited.
func waitListening(cmd *exec.Cmd, port int) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = c.Close()
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("not listening on %s: %w", addr, err)
		}
		// A bouncer that could not bind has exited: signal 0 fails on a
		// zombie only after Wait, so look at /proc.
		if exited(cmd.Process.Pid) {
			return fmt.Errorf("exited before listening on %s", addr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// exited reports whether pid is gone or a zombie.
func exited(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name, which is in parentheses.
	for i := len(b) - 1; i > 0; i-- {
		if b[i] == ')' && i+2 < len(b) {
			return b[i+2] == 'Z' || b[i+2] == 'X'
		}
	}
	return false
}

// stopPgBouncer stops the bouncer and removes its directory.
func stopPgBouncer() error {
	bouncer.mu.Lock()
	defer bouncer.mu.Unlock()
	bouncer.on = false
	cmd, dir := bouncer.cmd, bouncer.dir
	bouncer.cmd, bouncer.dir, bouncer.started, bouncer.url, bouncer.err = nil, "", false, "", nil
	if cmd == nil {
		return nil
	}
	// SIGINT: pgbouncer's "safe shutdown" waits for clients; SIGTERM
	// closes them at once, and all tests are over.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = cmd.Process.Kill()
	}
	timer := time.AfterFunc(10*time.Second, func() { _ = cmd.Process.Kill() })
	_ = cmd.Wait() // the exit status of a signalled bouncer says nothing
	timer.Stop()
	return os.RemoveAll(dir)
}
