package example

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRunFullRefusesASecondRun: run-full.sh started while another run
// uses the same directory stops with a message naming that run and
// RUN_FULL_DIR, and leaves the other run's servers alone; it used to
// stop them (the servers a crashed run left behind are stopped at
// start), so the first run's pages failed while its script still ran.
func TestRunFullRefusesASecondRun(t *testing.T) {
	dir := t.TempDir()
	// The first run: its script, and its Redis.
	first := startSleeper(t, "example/run-full.sh")
	redis := startSleeper(t, "redis-server")
	if err := os.WriteFile(filepath.Join(dir, "run.pid"), []byte(strconv.Itoa(first.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "redis"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "redis", "redis.pid"), []byte(strconv.Itoa(redis.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The first run's server holds the port, so that a second run that
	// goes on stops right after stopping the servers, before installing
	// or building anything.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)

	cmd := exec.CommandContext(t.Context(), "bash", "run-full.sh")
	cmd.Env = append(os.Environ(), "RUN_FULL_DIR="+dir, "PORT="+port, "PG_BIN="+filepath.Join(dir, "no-postgres"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("second run: %v; want exit status 1\n%s", err, stderr.String())
	}
	if msg := stderr.String(); !strings.Contains(msg, "running already in "+dir) || !strings.Contains(msg, strconv.Itoa(first.Process.Pid)) || !strings.Contains(msg, "RUN_FULL_DIR") {
		t.Errorf("second run's message does not name the first run and RUN_FULL_DIR:\n%s", msg)
	}
	if !running(t, redis.Process.Pid) {
		t.Errorf("the second run stopped the first run's Redis")
	}
}

// running reports whether process pid runs: it exists and is no zombie
// (the test has not waited for it yet, so a process killed stays one).
func running(t *testing.T, pid int) bool {
	t.Helper()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// pid (comm) state ...: comm may hold spaces, so read after the last ')'.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// startSleeper starts a process that runs until the test ends, named
// name in its command line.
func startSleeper(t *testing.T, name string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	cmd.Args[0] = name
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}
