package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvRedisServer names the redis-server binary that tests which run a
// Redis of their own start (set by scripts/services.sh).
const EnvRedisServer = "TENANTPLUGIN_REDIS_SERVER"

// buildTimeout bounds building the programs under test (a cold race
// build of all dependencies takes a while on two cores).
const buildTimeout = 5 * time.Minute

// Programs builds commands of this module for tests that run them as
// processes: once per test binary, into a temporary directory removed
// when the runner of [Programs.Run] returns.
type Programs struct {
	// Plain are built without the race detector: short-lived commands
	// whose run time tests measure. Race are built with it when Race is
	// true, without it otherwise. Both are package paths from the
	// module's root ("./example/cmd/tenantctl").
	Plain, Race []string
	// RaceDetector tells whether the tests run with -race.
	RaceDetector bool
	// Prefix names the temporary directory.
	Prefix string

	once sync.Once
	dir  string
	err  error
}

// Path builds the programs on its first call and returns the path of
// the command named name. It fails tb when the build failed.
func (p *Programs) Path(tb testing.TB, name string) string {
	tb.Helper()
	p.once.Do(func() { p.dir, p.err = p.build() })
	if p.err != nil {
		tb.Fatal(p.err)
	}
	return filepath.Join(p.dir, name)
}

func (p *Programs) build() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go command is needed to build the programs under test: %w", err)
	}
	dir, err := os.MkdirTemp("", p.Prefix)
	if err != nil {
		return "", err
	}
	out := dir + string(filepath.Separator)
	builds := [][]string{append([]string{"build", "-o", out}, p.Plain...)}
	if p.RaceDetector {
		builds = append(builds, append([]string{"build", "-race", "-o", out}, p.Race...))
	} else {
		builds[0] = append(builds[0], p.Race...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	for _, args := range builds {
		cmd := exec.CommandContext(ctx, gobin, args...)
		cmd.Dir = root
		var b bytes.Buffer
		cmd.Stdout, cmd.Stderr = &b, &b
		if err := cmd.Run(); err != nil {
			return dir, fmt.Errorf("go %v: %w\n%s", args, err, b.Bytes())
		}
	}
	return dir, nil
}

// Run returns a runner for TestMain that runs m, then removes the
// built programs:
//
//	goleak.VerifyTestMain(programs.Run(m))
func (p *Programs) Run(m M) M { return programsRunner{p, m} }

type programsRunner struct {
	p *Programs
	m M
}

func (r programsRunner) Run() int {
	code := r.m.Run()
	if r.p.dir != "" {
		_ = os.RemoveAll(r.p.dir)
	}
	return code
}

// ModuleRoot finds this module's go.mod from the working directory up:
// go test runs the tests in the package's directory, and
// scripts/bench.sh runs compiled test binaries from the module's root.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.Contains(b, []byte("module github.com/tenantrouter/tenantplugin\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the module's go.mod is not in the working directory or above it: run from the module")
		}
		dir = parent
	}
}

// RedisServer returns the redis-server binary: $TENANTPLUGIN_REDIS_SERVER,
// or redis-server on PATH. Without one it skips, or fails with
// TENANTPLUGIN_INTEGRATION=1.
func RedisServer(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv(EnvRedisServer); p != "" {
		if _, err := os.Stat(p); err != nil {
			tb.Fatalf("%s=%s: %v", EnvRedisServer, p, err)
		}
		return p
	}
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	if Required() {
		tb.Fatalf("no redis-server (set %s or put it on PATH) but %s=1: run scripts/test.sh", EnvRedisServer, EnvIntegration)
	}
	tb.Skipf("no redis-server (set %s or put it on PATH): this test starts a Redis of its own", EnvRedisServer)
	return ""
}

// FreePort returns a free loopback port below the kernel's ephemeral
// range, so that no outgoing connection takes it while a server the
// test restarts is down.
func FreePort() (int, error) {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 12000 {
				low = n
			}
		}
	}
	for range 100 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(low-11000)))
		if err != nil {
			return 0, err
		}
		port := 11000 + int(n.Int64())
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		_ = ln.Close()
		return port, nil
	}
	return 0, errors.New("no free port found")
}

// Tail returns the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
