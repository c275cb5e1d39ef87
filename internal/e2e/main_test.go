package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(removeBinaries{m}) }

// removeBinaries removes the built programs once the tests have run.
type removeBinaries struct{ m *testing.M }

func (r removeBinaries) Run() int {
	code := r.m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	return code
}

// buildTimeout bounds building the binaries (a cold race build of all
// dependencies takes a while on two cores).
const buildTimeout = 5 * time.Minute

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries are the programs under test.
type binaries struct{ instance, tenantctl string }

// buildBinaries builds internal/cmd/instance and example/cmd/tenantctl
// once per test binary into a temporary directory that TestMain removes.
func buildBinaries(tb testing.TB) binaries {
	tb.Helper()
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		gobin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go command is needed to build the programs under test: %w", err)
			return
		}
		dir, err := os.MkdirTemp("", "tenantplugin-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binDir = dir
		// The instances run under the race detector when the tests do;
		// tenantctl, a short-lived command whose run time the tests
		// measure, never does.
		builds := [][]string{{"build", "-o", dir + string(filepath.Separator), "./example/cmd/tenantctl"}}
		if raceEnabled {
			builds = append(builds, []string{"build", "-race", "-o", dir + string(filepath.Separator), "./internal/cmd/instance"})
		} else {
			builds[0] = append(builds[0], "./internal/cmd/instance")
		}
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		for _, args := range builds {
			cmd := exec.CommandContext(ctx, gobin, args...)
			cmd.Dir = root
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				buildErr = fmt.Errorf("go %v: %w\n%s", args, err, out.Bytes())
				return
			}
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binaries{instance: filepath.Join(binDir, "instance"), tenantctl: filepath.Join(binDir, "tenantctl")}
}

// moduleRoot finds this module's go.mod from the working directory up:
// go test runs the tests in the package's directory, and scripts/bench.sh
// runs the compiled test binary from the module's root.
func moduleRoot() (string, error) {
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

// redisServerPath returns the redis-server binary: TENANTPLUGIN_REDIS_SERVER,
// or redis-server on PATH. It skips (or fails, with
// TENANTPLUGIN_INTEGRATION=1) when there is none.
func redisServerPath(tb testing.TB) string {
	tb.Helper()
	const env = "TENANTPLUGIN_REDIS_SERVER"
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			tb.Fatalf("%s=%s: %v", env, p, err)
		}
		return p
	}
	p, err := exec.LookPath("redis-server")
	if err == nil {
		return p
	}
	if testenv.Required() {
		tb.Fatalf("no redis-server (set %s or put it on PATH) but %s=1: run scripts/test.sh", env, testenv.EnvIntegration)
	}
	tb.Skipf("no redis-server (set %s or put it on PATH): these tests start their own Redis", env)
	return ""
}
