package provision

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Step names one step of [Provisioner.Create] or [Provisioner.Delete],
// as [WithStepDone] reports it.
type Step string

// The steps of Create, in the order they run.
const (
	// StepDatabase: the tenant's database exists (created, or found).
	StepDatabase Step = "database"
	// StepMigrate: Config.Migrate ran on it.
	StepMigrate Step = "migrate"
	// StepHooks: every hook's Create ran.
	StepHooks Step = "hooks"
	// StepPublish: the store holds the tenant; instances route to it.
	StepPublish Step = "publish"
)

// The steps of Delete, in the order they run.
const (
	// StepUnpublish: the store no longer holds the tenant.
	StepUnpublish Step = "unpublish"
	// StepDrain: no session is left on the database (as far as the
	// Server can see: a [SessionLister]).
	StepDrain Step = "drain"
	// StepDeleteHooks: every hook's Delete ran, in reverse order.
	StepDeleteHooks Step = "delete-hooks"
	// StepDrop: the database is dropped (with [DropDatabase] only).
	StepDrop Step = "drop"
)

// runStep runs one step unless ctx is done, logs it and reports it to
// the options' WithStepDone functions. Its error names the step.
func runStep(ctx context.Context, log *slog.Logger, o options, s Step, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("provision: stopped before step %s: %w", s, err)
	}
	start := time.Now()
	if err := fn(); err != nil {
		return fmt.Errorf("provision: step %s: %w", s, err)
	}
	log.LogAttrs(ctx, slog.LevelInfo, "step done", slog.String("step", string(s)), slog.Duration("took", time.Since(start)))
	o.done(s)
	return nil
}
