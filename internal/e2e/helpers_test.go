package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

const (
	// service is the service every process of a test serves.
	service = "hospital"
	// startTimeout bounds the start of one process.
	startTimeout = 30 * time.Second
	// stopTimeout bounds a graceful stop.
	stopTimeout = 15 * time.Second
	// ctlTimeout bounds one tenantctl run.
	ctlTimeout = 20 * time.Second
	// instanceMaxConns is each instance's connection budget, so that
	// three instances and the other packages' tests fit in the test
	// server's max_connections.
	instanceMaxConns = 24
)

// env is what a test needs: PostgreSQL, a redis-server binary and the
// programs under test. Everything it starts stops when the test ends.
type env struct {
	tb    testing.TB
	bins  binaries
	redis string // redis-server binary
	pgURL string // admin URL of the PostgreSQL server
	dir   string
	http  *http.Client

	mu  sync.Mutex
	out []string // every output of tenantctl and every HTTP reply, for TestSecretsNeverLogged
	seq int
}

// newEnv skips the test (or fails it, with TENANTPLUGIN_INTEGRATION=1)
// when PostgreSQL or redis-server is missing, then builds the programs.
func newEnv(tb testing.TB) *env {
	tb.Helper()
	e := &env{tb: tb, pgURL: testenv.PostgresURL(tb), redis: testenv.RedisServer(tb), dir: tb.TempDir()}
	e.bins = buildBinaries(tb)
	tr := &http.Transport{MaxIdleConnsPerHost: 32, DisableCompression: true}
	e.http = &http.Client{Transport: tr, Timeout: time.Minute}
	tb.Cleanup(tr.CloseIdleConnections)
	return e
}

func (e *env) record(s string) {
	e.mu.Lock()
	e.out = append(e.out, s)
	e.mu.Unlock()
}

func (e *env) recorded() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.out...)
}

// dsn returns the URL of database name on the test server, with password
// set when it is not empty (the server trusts loopback connections, so
// any password works).
func (e *env) dsn(name, password string) string {
	e.tb.Helper()
	u, err := url.Parse(testenv.DSN(e.tb, name))
	if err != nil {
		e.tb.Fatal(err)
	}
	if password != "" {
		user := "postgres"
		if u.User != nil && u.User.Username() != "" {
			user = u.User.Username()
		}
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}

// pgHostPort returns the host and port of the PostgreSQL server.
func (e *env) pgHostPort() (string, int) {
	e.tb.Helper()
	u, err := url.Parse(e.pgURL)
	if err != nil {
		e.tb.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		e.tb.Fatalf("postgres URL has no port: %v", err)
	}
	return u.Hostname(), port
}

// secret returns a random password that appears nowhere else.
func secret(what string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "Pw" + what + hex.EncodeToString(b)
}

// ---- processes ----

// proc is a child process. Its exit is awaited in the background; it is
// killed when the test ends if it still runs.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // cmd.Wait's, after done
}

func startProc(tb testing.TB, name string, cmd *exec.Cmd) (*proc, error) {
	// The child dies with the test binary, even if the test binary is
	// killed before its cleanups run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		if err := p.kill(); err != nil {
			tb.Errorf("%s: %v", name, err)
		}
	})
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitErr says how the process exited, once it has.
func (p *proc) exitErr() error {
	if p.err == nil {
		return errors.New("exit status 0")
	}
	return p.err
}

// signal sends sig and waits for the exit, up to timeout.
func (p *proc) signal(sig os.Signal, timeout time.Duration) error {
	if p.exited() {
		return nil
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

// kill kills the process and waits for it.
func (p *proc) kill() error { return p.signal(syscall.SIGKILL, 10*time.Second) }

// stop asks the process to stop (SIGTERM) and returns how it exited; it
// kills it if it does not stop in time.
func (p *proc) stop() error {
	if err := p.signal(syscall.SIGTERM, stopTimeout); err != nil {
		_ = p.kill()
		return fmt.Errorf("%s did not stop on SIGTERM within %v", p.name, stopTimeout)
	}
	return p.err
}

// ---- Redis ----

// redisServer is a redis-server process of the test's own, with an
// append-only file fsynced on every write, so that its data survives
// SIGKILL, on a fixed port so that it can be restarted.
type redisServer struct {
	e        *env
	dir      string
	port     int
	password string
	proc     *proc
	starts   int
}

// startRedis starts a Redis server on a free port; password, when not
// empty, is required of clients.
func (e *env) startRedis(password string) *redisServer {
	e.tb.Helper()
	e.mu.Lock()
	e.seq++
	dir := filepath.Join(e.dir, "redis"+strconv.Itoa(e.seq))
	e.mu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.tb.Fatal(err)
	}
	r := &redisServer{e: e, dir: dir, password: password}
	var err error
	for range 5 {
		if r.port, err = testenv.FreePort(); err != nil {
			continue
		}
		if _, err = r.start(); err == nil {
			return r
		}
	}
	e.tb.Fatalf("redis: %v", err)
	return nil
}

// URL is the server's URL for the instances and tenantctl.
func (r *redisServer) URL() string { return r.urlWith(r.password) }

func (r *redisServer) urlWith(password string) string {
	u := url.URL{Scheme: "redis", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)), Path: "/0"}
	if password != "" {
		u.User = url.UserPassword("", password)
	}
	return u.String()
}

// start runs redis-server on r.port and waits until it answers PING. It
// returns when it answered: the start of the first exchange that
// succeeded, so no later than the moment it accepted connections.
func (r *redisServer) start() (time.Time, error) {
	r.starts++
	args := []string{
		"--bind", "127.0.0.1", "--port", strconv.Itoa(r.port),
		"--dir", r.dir, "--logfile", filepath.Join(r.dir, "redis.log"),
		"--appendonly", "yes", "--appendfsync", "always", "--save", "",
		"--daemonize", "no", "--protected-mode", "no",
	}
	if r.password != "" {
		args = append(args, "--requirepass", r.password)
	}
	p, err := startProc(r.e.tb, fmt.Sprintf("redis-server (start %d)", r.starts), exec.Command(r.e.redis, args...))
	if err != nil {
		return time.Time{}, err
	}
	r.proc = p
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		at := time.Now()
		if r.ping() == nil {
			return at, nil
		}
		if p.exited() {
			return time.Time{}, fmt.Errorf("redis-server exited on port %d: %w\n%s", r.port, p.exitErr(), r.logTail())
		}
		time.Sleep(time.Millisecond)
	}
	_ = p.kill()
	return time.Time{}, fmt.Errorf("redis-server did not answer on port %d within %v\n%s", r.port, startTimeout, r.logTail())
}

// ping sends PING (after AUTH) on a new connection and wants PONG.
func (r *redisServer) ping() error {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)), time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	cmd := "PING\r\n"
	if r.password != "" {
		cmd = "AUTH " + r.password + "\r\n" + cmd
	}
	if _, err := io.WriteString(c, cmd); err != nil {
		return err
	}
	rd := bufio.NewReader(c)
	if r.password != "" {
		line, err := rd.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "+OK") {
			return fmt.Errorf("auth: %q", strings.TrimSpace(line))
		}
	}
	line, err := rd.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("ping: %q", strings.TrimSpace(line))
	}
	return nil
}

// kill kills the server (SIGKILL): nothing is flushed beyond what the
// append-only file already holds.
func (r *redisServer) kill() {
	r.e.tb.Helper()
	if err := r.proc.kill(); err != nil {
		r.e.tb.Fatalf("redis: %v", err)
	}
}

// terminate stops the server gracefully (SIGTERM).
func (r *redisServer) terminate() {
	r.e.tb.Helper()
	if err := r.proc.stop(); err != nil {
		r.e.tb.Fatalf("redis: %v", err)
	}
}

// restart starts the server again on its port, with its data, and
// returns when it accepted connections again.
func (r *redisServer) restart() time.Time {
	r.e.tb.Helper()
	var err error
	for range 3 { // the port is ours, but a start can still fail
		var at time.Time
		if at, err = r.start(); err == nil {
			return at
		}
	}
	r.e.tb.Fatalf("redis restart: %v", err)
	return time.Time{}
}

func (r *redisServer) logTail() string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
	return testenv.Tail(string(b), 20)
}

// ---- instances ----

// instance is a running internal/cmd/instance process.
type instance struct {
	e      *env
	name   string
	addr   string
	stderr string // file
	proc   *proc
}

// instanceArgs are the arguments every instance gets; extra ones follow.
func (e *env) instanceArgs(rs *redisServer, templateDSN string, extra ...string) []string {
	return append([]string{
		"-redis", rs.URL(), "-pg", templateDSN, "-service", service,
		"-listen", "127.0.0.1:0", "-max-conns", strconv.Itoa(instanceMaxConns),
	}, extra...)
}

// startInstances starts n instances at once and waits for all of them.
func (e *env) startInstances(n int, args []string) []*instance {
	e.tb.Helper()
	insts := make([]*instance, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { insts[i], errs[i] = e.launch(args) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			e.tb.Fatal(err)
		}
	}
	return insts
}

// launch starts an instance and waits for its "listening on" line.
func (e *env) launch(args []string) (*instance, error) {
	e.mu.Lock()
	e.seq++
	name := "instance-" + strconv.Itoa(e.seq)
	e.mu.Unlock()
	inst := &instance{e: e, name: name, stderr: filepath.Join(e.dir, name+".stderr")}
	f, err := os.Create(inst.stderr)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the child has its own descriptor
	first := newFirstLine()
	cmd := exec.Command(e.bins.instance, args...)
	cmd.Stdout, cmd.Stderr = first, f
	cmd.Env = append(os.Environ(), "REDIS_URL=", "DATABASE_URL=")
	if raceEnabled && os.Getenv("GORACE") == "" {
		// The race runtime sleeps 1 s at exit by default.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=50")
	}
	if inst.proc, err = startProc(e.tb, name, cmd); err != nil {
		return nil, err
	}
	select {
	case line := <-first.line:
		addr, ok := strings.CutPrefix(line, "listening on ")
		if !ok {
			return nil, fmt.Errorf("%s: first line %q, want \"listening on ADDR\"", name, line)
		}
		inst.addr = addr
		return inst, nil
	case <-inst.proc.done:
		return nil, fmt.Errorf("%s exited before listening: %w\n%s", name, inst.proc.exitErr(), inst.stderrTail())
	case <-time.After(startTimeout):
		return nil, fmt.Errorf("%s did not listen within %v\n%s", name, startTimeout, inst.stderrTail())
	}
}

// firstLine is a writer that reports the first line written to it and
// keeps the rest.
type firstLine struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	sent bool
	line chan string
}

func newFirstLine() *firstLine { return &firstLine{line: make(chan string, 1)} }

func (w *firstLine) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.sent {
		if line, _, ok := strings.Cut(w.buf.String(), "\n"); ok {
			w.sent = true
			w.line <- line
		}
	}
	return len(p), nil
}

func (i *instance) stderrText() string {
	b, _ := os.ReadFile(i.stderr)
	return string(b)
}

func (i *instance) stderrTail() string { return testenv.Tail(i.stderrText(), 30) }

// get fetches path and decodes the JSON reply into v; it returns the
// status.
func (i *instance) get(path string, v any) (int, error) {
	resp, err := i.e.http.Get("http://" + i.addr + path)
	if err != nil {
		return 0, fmt.Errorf("%s: GET %s: %w", i.name, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s: GET %s: %w", i.name, path, err)
	}
	i.e.record(string(body))
	if err := json.Unmarshal(body, v); err != nil {
		return resp.StatusCode, fmt.Errorf("%s: GET %s: %d %q: %w", i.name, path, resp.StatusCode, body, err)
	}
	return resp.StatusCode, nil
}

type whereReply struct {
	Tenant   string `json:"tenant"`
	Database string `json:"database"`
	Error    string `json:"error"`
}

func (i *instance) where(tenant string) (int, whereReply, error) {
	var r whereReply
	status, err := i.get("/where?tenant="+url.QueryEscape(tenant), &r)
	return status, r, err
}

type waitReply struct {
	Tenant        string `json:"tenant"`
	AtUnixNano    int64  `json:"at_unix_nano"`
	KnownUnixNano int64  `json:"known_unix_nano"`
	Tries         int    `json:"tries"`
	LastDatabase  string `json:"last_database"`
	Error         string `json:"error"`
}

func (w waitReply) at() time.Time    { return time.Unix(0, w.AtUnixNano) }
func (w waitReply) known() time.Time { return time.Unix(0, w.KnownUnixNano) }

// wait long-polls until the instance routes tenant to database (or,
// with database "", until it does not know the tenant), up to timeout.
func (i *instance) wait(tenant, database string, timeout time.Duration) (waitReply, error) {
	q := url.Values{"tenant": {tenant}, "timeout": {timeout.String()}}
	path := "/wait-gone?"
	if database != "" {
		path = "/wait?"
		q.Set("database", database)
	}
	var r waitReply
	status, err := i.get(path+q.Encode(), &r)
	if err != nil {
		return r, err
	}
	if status != http.StatusOK {
		return r, fmt.Errorf("%s: %s%s: %d: %s (last database %q, %d tries)", i.name, path, q.Encode(), status, r.Error, r.LastDatabase, r.Tries)
	}
	return r, nil
}

type statsReply struct {
	Load struct {
		OK             uint64 `json:"ok"`
		Failed         uint64 `json:"failed"`
		FailedKnown    uint64 `json:"failed_known"`
		LastKnownError string `json:"last_known_error"`
	} `json:"load"`
	Sync struct {
		Tenants     int    `json:"tenants"`
		Applied     uint64 `json:"applied"`
		Refused     uint64 `json:"refused"`
		Stale       uint64 `json:"stale"`
		Resyncs     uint64 `json:"resyncs"`
		EmptyStore  uint64 `json:"empty_store"`
		LastVersion uint64 `json:"last_version"`
	} `json:"sync"`
	Tenants []string `json:"tenants"`
	Pools   struct {
		Open        int    `json:"open"`
		Opened      uint64 `json:"opened"`
		Swapped     uint64 `json:"swapped"`
		Evicted     uint64 `json:"evicted"`
		ConnsInUse  int    `json:"conns_in_use"`
		MaxConns    int    `json:"max_conns"`
		BudgetWaits uint64 `json:"budget_waits"`
	} `json:"pools"`
}

func (i *instance) stats() statsReply {
	i.e.tb.Helper()
	var s statsReply
	if status, err := i.get("/stats", &s); err != nil || status != http.StatusOK {
		i.e.tb.Fatalf("%s: stats: %d %v", i.name, status, err)
	}
	return s
}

// stop stops the instance with SIGTERM and wants exit status 0.
func (i *instance) stop() {
	i.e.tb.Helper()
	if err := i.proc.stop(); err != nil {
		i.e.tb.Errorf("%s: graceful stop: %v\n%s", i.name, err, i.stderrTail())
	}
	i.checkRaces()
}

// checkRaces fails the test if the race detector reported in the
// instance's stderr.
func (i *instance) checkRaces() {
	i.e.tb.Helper()
	text := i.stderrText()
	if n := strings.Index(text, "WARNING: DATA RACE"); n >= 0 {
		i.e.tb.Errorf("%s: the race detector reported:\n%s", i.name, text[n:min(len(text), n+8000)])
	}
}

// waitAll runs fn for every instance at once and fails the test with
// every error.
func waitAll(tb testing.TB, insts []*instance, fn func(*instance) error) {
	tb.Helper()
	errs := make([]error, len(insts))
	var wg sync.WaitGroup
	for n, inst := range insts {
		wg.Go(func() { errs[n] = fn(inst) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
}

// dumpOnFailure logs the end of every instance's stderr if the test
// failed.
func dumpOnFailure(tb testing.TB, rs *redisServer, insts ...*instance) {
	tb.Cleanup(func() {
		if !tb.Failed() {
			return
		}
		for _, inst := range insts {
			tb.Logf("%s stderr:\n%s", inst.name, inst.stderrTail())
		}
		if rs != nil {
			tb.Logf("redis log:\n%s", rs.logTail())
		}
	})
}

// ---- tenantctl ----

type ctlResult struct {
	args           []string
	stdout, stderr string
	code           int
	returned       time.Time // when the process had exited
}

func (c ctlResult) String() string {
	return fmt.Sprintf("tenantctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(c.args, " "), c.code, c.stdout, c.stderr)
}

// ctl runs tenantctl against rs with args.
func (e *env) ctl(rs *redisServer, args ...string) ctlResult {
	e.tb.Helper()
	return e.ctlURL(rs.URL(), args...)
}

func (e *env) ctlURL(redisURL string, args ...string) ctlResult {
	e.tb.Helper()
	all := append([]string{"-service", service, "-redis", redisURL}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), ctlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bins.tenantctl, all...)
	cmd.Env = append(os.Environ(), "REDIS_URL=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := ctlResult{args: args, stdout: stdout.String(), stderr: stderr.String(), returned: time.Now()}
	e.record(res.stdout)
	e.record(res.stderr)
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		res.code = ee.ExitCode()
	default:
		e.tb.Fatalf("tenantctl %s: %v (stderr: %s)", strings.Join(args, " "), err, res.stderr)
	}
	return res
}

// mustCtl runs tenantctl and wants exit status 0.
func (e *env) mustCtl(rs *redisServer, args ...string) ctlResult {
	e.tb.Helper()
	res := e.ctl(rs, args...)
	if res.code != 0 {
		e.tb.Fatal(res)
	}
	return res
}
