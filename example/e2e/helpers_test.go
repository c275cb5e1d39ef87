package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

const (
	// startTimeout bounds the start of a process.
	startTimeout = time.Minute
	// stopTimeout bounds a graceful stop.
	stopTimeout = 20 * time.Second
	// ctlTimeout bounds one tenantctl run.
	ctlTimeout = time.Minute
	// syncTimeout bounds how long a change of the store takes to reach
	// the server, or a task to run.
	syncTimeout = 30 * time.Second
)

// env is one deployment of the example: a service of a random name on
// redisURL (its keys removed at the end, on a shared Redis), its own
// central database and one database per tenant created, all dropped at
// the end.
type env struct {
	t        *testing.T
	bins     binaries
	redisURL string
	dbURL    string
	service  string
	admin    *sql.DB
	http     *http.Client
}

func newEnv(t *testing.T, redisURL string, shared bool) *env {
	t.Helper()
	e := &env{t: t, redisURL: redisURL, admin: testenv.Admin(t)}
	if shared {
		_, e.service = testenv.RedisService(t, "hospital-e2e-")
	} else {
		e.service = "hospital-e2e-" + randHex(t)
	}
	e.dbURL = testenv.DSN(t, testenv.Databases(t, 1)[0])
	e.bins = buildBinaries(t)
	return e.withHTTP()
}

// withHTTP gives e its HTTP client.
func (e *env) withHTTP() *env {
	tr := &http.Transport{MaxIdleConnsPerHost: 8, DisableCompression: true}
	e.http = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	e.t.Cleanup(tr.CloseIdleConnections)
	return e
}

// environ is the processes' environment: the test's, with REDIS_URL
// and DATABASE_URL of the deployment.
func (e *env) environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REDIS_URL=") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			out = append(out, kv)
		}
	}
	return append(out, "REDIS_URL="+e.redisURL, "DATABASE_URL="+e.dbURL)
}

// tenantctl runs tenantctl on the service and returns its output; it
// fails the test when tenantctl fails.
func (e *env) tenantctl(args ...string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ctlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bins.tenantctl, append([]string{"-service", e.service}, args...)...)
	cmd.Env = e.environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("tenantctl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// create creates tenant id with tenantctl create, on a database of a
// random name dropped when the test ends, and returns a pool on that
// database.
func (e *env) create(id string) *sql.DB {
	e.t.Helper()
	name := "fs_e2e_" + randHex(e.t)
	e.t.Cleanup(func() {
		if _, err := e.admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			e.t.Errorf("drop %s: %v", name, err)
		}
	})
	e.tenantctl("create", id, "--db", name)
	return e.open(testenv.DSN(e.t, name))
}

// open returns a pool on dsn, closed when the test ends.
func (e *env) open(dsn string) *sql.DB {
	e.t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		e.t.Fatal(err)
	}
	db.SetMaxOpenConns(2)
	e.t.Cleanup(func() { _ = db.Close() })
	return db
}

// get sends a request for host's tenant and returns the status and body.
func (e *env) do(addr, method, host, path, body string) (int, string, error) {
	req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Host = host
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// waitStatus polls GET path on host until it answers want, and returns
// the body. No event tells a test process when the server has heard of
// a store change, so polling is the only way.
func (e *env) waitStatus(addr, host, path string, want int) string {
	e.t.Helper()
	deadline := time.Now().Add(syncTimeout)
	for {
		code, body, err := e.do(addr, http.MethodGet, host, path, "")
		if err == nil && code == want {
			return body
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("GET %s%s: %d %q %v after %v, want %d", host, path, code, body, err, syncTimeout, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func randHex(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// ---- processes ----

// proc is a running program under test, its stderr kept.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *watcher
	done chan struct{}
	err  error // cmd.Wait's, after done
}

// start starts a program with the deployment's environment and waits
// until its stderr has a line holding marker, which it returns.
func (e *env) start(name, bin, marker string, args ...string) (*proc, string) {
	e.t.Helper()
	cmd := exec.Command(bin, append([]string{"-service", e.service}, args...)...)
	cmd.Env = e.environ()
	p, err := startProc(e.t, name, cmd, marker)
	if err != nil {
		e.t.Fatal(err)
	}
	select {
	case <-p.out.seen:
		return p, p.out.line()
	case <-p.done:
		e.t.Fatalf("%s exited at start: %v\n%s", name, p.err, p.out)
	case <-time.After(startTimeout):
		e.t.Fatalf("%s: no %q within %v\n%s", name, marker, startTimeout, p.out)
	}
	return nil, ""
}

func startProc(t *testing.T, name string, cmd *exec.Cmd, marker string) (*proc, error) {
	w := newWatcher(marker)
	cmd.Stdout, cmd.Stderr = w, w
	// The child dies with the test binary, even if the test binary is
	// killed before its cleanups run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, out: w, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if err := p.signal(syscall.SIGKILL, 10*time.Second); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	})
	return p, nil
}

// signal sends sig and waits for the exit, up to timeout.
func (p *proc) signal(sig os.Signal, timeout time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("still running %v after %v", sig, timeout)
	}
}

// stop sends SIGTERM and wants a clean exit (status 0) in time.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.signal(syscall.SIGTERM, stopTimeout); err != nil {
		t.Fatalf("%s: %v\n%s", p.name, err, p.out)
	}
	if p.err != nil {
		t.Fatalf("%s exited with %v\n%s", p.name, p.err, p.out)
	}
}

// watcher keeps a process's output and tells when a line holds marker.
type watcher struct {
	marker string
	seen   chan struct{}

	mu      sync.Mutex
	buf     bytes.Buffer
	partial []byte
	hit     string
}

func newWatcher(marker string) *watcher { return &watcher{marker: marker, seen: make(chan struct{})} }

func (w *watcher) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	if w.hit != "" {
		return len(b), nil
	}
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		if strings.Contains(line, w.marker) {
			w.hit = line
			close(w.seen)
			w.partial = nil
			break
		}
	}
	return len(b), nil
}

func (w *watcher) line() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hit
}

func (w *watcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return testenv.Tail(w.buf.String(), 40)
}

// addrRE takes the listen address out of the server's "serving" line.
var addrRE = regexp.MustCompile(`\baddr=(\S+)`)

// startServer starts the server on a free port and returns it and its
// address.
func (e *env) startServer() (*proc, string) {
	e.t.Helper()
	p, line := e.start("server", e.bins.server, "msg=serving", "-addr", "127.0.0.1:0")
	m := addrRE.FindStringSubmatch(line)
	if m == nil {
		e.t.Fatalf("no address in %q", line)
	}
	return p, m[1]
}

// ---- a Redis of the test's own ----

// redisServer is a redis-server process of the test's own, with an
// append-only file fsynced on every write, so that the tenants survive
// a kill, on a fixed port so that it can be restarted.
type redisServer struct {
	t    *testing.T
	bin  string
	dir  string
	port int
	proc *proc
}

// startRedis starts a Redis server on a free port. It skips (or fails,
// with TENANTPLUGIN_INTEGRATION=1) without a redis-server binary.
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	r := &redisServer{t: t, bin: testenv.RedisServer(t), dir: t.TempDir()}
	var err error
	for range 5 {
		if r.port, err = testenv.FreePort(); err != nil {
			continue
		}
		if err = r.start(); err == nil {
			return r
		}
	}
	t.Fatalf("redis: %v", err)
	return nil
}

// URL is the server's URL.
func (r *redisServer) URL() string {
	return "redis://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) + "/0"
}

func (r *redisServer) start() error {
	cmd := exec.Command(r.bin,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(r.port),
		"--dir", r.dir, "--logfile", filepath.Join(r.dir, "redis.log"),
		"--appendonly", "yes", "--appendfsync", "always", "--save", "",
		"--daemonize", "no", "--protected-mode", "no")
	p, err := startProc(r.t, "redis-server", cmd, "never printed")
	if err != nil {
		return err
	}
	r.proc = p
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if r.ping() == nil {
			return nil
		}
		select {
		case <-p.done:
			b, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
			return fmt.Errorf("redis-server exited on port %d: %w\n%s", r.port, p.err, testenv.Tail(string(b), 10))
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("redis-server did not answer on port %d", r.port)
}

// ping sends PING on a new connection and wants PONG.
func (r *redisServer) ping() error {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)), time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(c, "PING\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("ping: %q", strings.TrimSpace(line))
	}
	return nil
}

// kill kills the server (SIGKILL) and waits for it.
func (r *redisServer) kill() {
	r.t.Helper()
	if err := r.proc.signal(syscall.SIGKILL, 10*time.Second); err != nil {
		r.t.Fatalf("redis: %v", err)
	}
}

// restart starts the server again on its port, with its data.
func (r *redisServer) restart() {
	r.t.Helper()
	var err error
	for range 3 {
		if err = r.start(); err == nil {
			return
		}
	}
	r.t.Fatalf("redis restart: %v", err)
}
