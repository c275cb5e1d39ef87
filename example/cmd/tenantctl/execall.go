package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// allRun is one tenant's part of exec --all.
type allRun struct {
	id  string
	env tenantEnv
	err error // the config was refused: nothing run
	res runResult
	ran bool
}

// execAll runs the command for every tenant of the service, in id
// order, o.parallel at a time, each with no stdin. One at a time, the
// commands write straight to stdout and stderr; several at a time, each
// line they write is prefixed with "ID: ", and lines are written whole.
// SIGINT, SIGTERM or the end of ctx stop it from starting more: the
// running commands get SIGTERM (SIGKILL killAfter later) and the rest
// are reported as not run. The summary goes to stderr; the exit status
// is 1 unless every command exited 0.
func execAll(ctx context.Context, store tenantconfig.Store, t *execTarget, o execOptions, out, stderr io.Writer) error {
	snap, err := store.Snapshot(ctx)
	if err != nil {
		return err
	}
	if len(snap) == 0 {
		return fmt.Errorf("service %q has no tenant: nothing run", storeService(store))
	}
	runs := make([]*allRun, 0, len(snap))
	for id, rec := range snap {
		r := &allRun{id: id}
		r.env, r.err = t.env(ctx, id, rec)
		runs = append(runs, r)
	}
	slices.SortFunc(runs, func(a, b *allRun) int { return strings.Compare(a.id, b.id) })

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var (
		outMu, errMu sync.Mutex
		wg           sync.WaitGroup
		slots        = make(chan struct{}, o.parallel)
	)
	do := func(r *allRun) {
		stdout, stdErr := out, stderr
		var lw []*lineWriter
		if o.parallel > 1 {
			prefix := r.id + ": "
			lw = []*lineWriter{newLineWriter(&outMu, out, prefix), newLineWriter(&errMu, stderr, prefix)}
			stdout, stdErr = lw[0], lw[1]
		}
		if o.verbose {
			errMu.Lock()
			fmt.Fprintf(stderr, "tenantctl exec: %s: %s\n", r.id, r.env.shown)
			errMu.Unlock()
		}
		r.res = runCommand(ctx, r.env, o.argv, nil, stdout, stdErr)
		for _, w := range lw {
			_ = w.Flush()
		}
	}
	for _, r := range runs {
		if r.err != nil {
			continue
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		r.ran = true
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			do(r)
		}()
	}
	wg.Wait()
	return summarize(runs, ctx.Err() != nil, stderr)
}

// summarize prints the counts and each tenant that failed or was not
// run, and returns exit status 1 if any.
func summarize(runs []*allRun, stopped bool, stderr io.Writer) error {
	var ok, failed int
	var lines, notRun []string
	for _, r := range runs {
		switch {
		case r.err != nil:
			failed++
			lines = append(lines, fmt.Sprintf("  %s: not run: %v", r.id, r.err))
		case !r.ran:
			notRun = append(notRun, r.id)
		case r.res.status == 0:
			ok++
		default:
			failed++
			lines = append(lines, fmt.Sprintf("  %s: exit status %d%s", r.id, r.res.status, reason(r.res)))
		}
	}
	fmt.Fprintf(stderr, "tenantctl exec: %d ok, %d failed", ok, failed)
	if len(notRun) > 0 {
		fmt.Fprintf(stderr, ", %d not run", len(notRun))
	}
	if stopped {
		fmt.Fprint(stderr, " (stopped)")
	}
	fmt.Fprintln(stderr)
	for _, l := range lines {
		fmt.Fprintln(stderr, l)
	}
	if len(notRun) > 0 {
		fmt.Fprintf(stderr, "  not run: %s\n", strings.Join(notRun, " "))
	}
	if failed > 0 || len(notRun) > 0 {
		return exitStatus{code: exitRejected}
	}
	return nil
}

// reason says why a command that did not exit 0 ended, when its exit
// status alone does not: it was not started, or was killed by a signal.
func reason(r runResult) string {
	if r.err != nil && (!r.started || r.status > 128) {
		return " (" + r.err.Error() + ")"
	}
	return ""
}
