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

// buildTimeout bounds building the programs (a cold race build takes a
// while on two cores).
const buildTimeout = 5 * time.Minute

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries are the programs under test.
type binaries struct{ server, worker, tenantctl string }

// buildBinaries builds the server, the worker (with -race when the
// tests run with it) and tenantctl once per test binary.
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
		dir, err := os.MkdirTemp("", "tenantplugin-example-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binDir = dir
		out := dir + string(filepath.Separator)
		builds := [][]string{{"build", "-o", out, "./example/cmd/tenantctl"}}
		if raceEnabled {
			builds = append(builds, []string{"build", "-race", "-o", out, "./example/cmd/server", "./example/cmd/worker"})
		} else {
			builds[0] = append(builds[0], "./example/cmd/server", "./example/cmd/worker")
		}
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		for _, args := range builds {
			cmd := exec.CommandContext(ctx, gobin, args...)
			cmd.Dir = root
			var b bytes.Buffer
			cmd.Stdout, cmd.Stderr = &b, &b
			if err := cmd.Run(); err != nil {
				buildErr = fmt.Errorf("go %v: %w\n%s", args, err, b.Bytes())
				return
			}
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binaries{
		server:    filepath.Join(binDir, "server"),
		worker:    filepath.Join(binDir, "worker"),
		tenantctl: filepath.Join(binDir, "tenantctl"),
	}
}

// moduleRoot finds this module's go.mod from the working directory up.
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
			return "", errors.New("the module's go.mod is not in the working directory or above it")
		}
		dir = parent
	}
}
