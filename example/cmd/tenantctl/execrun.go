package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// killAfter is how long a command has to exit after SIGTERM before it is
// killed.
const killAfter = 10 * time.Second

// Exit statuses for a command that could not be run, as shells use them.
const (
	exitNotFound  = 127
	exitCannotRun = 126
)

// runResult is how a command run for one tenant ended.
type runResult struct {
	status  int   // its exit status; 128+N when killed by signal N
	started bool  // false: it could not be started
	err     error // why status is not 0
}

// runCommand runs argv with tenantctl's environment and env's variables
// set over it. When ctx ends, the command gets SIGTERM, and SIGKILL
// killAfter later if it has not exited.
func runCommand(ctx context.Context, env tenantEnv, argv []string, stdin io.Reader, stdout, stderr io.Writer) runResult {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env.vars...) // the last of a key wins
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = killAfter
	if err := cmd.Start(); err != nil {
		status := exitCannotRun
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			status = exitNotFound
		}
		return runResult{status: status, err: err}
	}
	err := cmd.Wait()
	r := runResult{started: true, err: err}
	if ps := cmd.ProcessState; ps != nil {
		r.status = ps.ExitCode()
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.status = 128 + int(ws.Signal())
		}
	}
	switch {
	case r.status != 0 || err == nil:
	case errors.Is(err, exec.ErrWaitDelay):
		// It exited 0; something it started in the background kept its
		// output open past killAfter.
		r.err = nil
	default:
		r.status = exitRejected // it exited 0, but its output was lost
	}
	return r
}
