package provision

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// Delete removes tenant id, in the reverse order of Create, each step
// reported to [WithStepDone]:
//
//  1. [StepUnpublish]: the tenant leaves the store (if the record is
//     still the one read), so every instance stops routing to it;
//  2. [StepDrain]: Delete waits until no session is left on the
//     database, when the Server can see them ([SessionLister]:
//     PostgreSQL's pg_stat_activity for that database), at most
//     Config.DrainTimeout, then fails with [ErrBusy];
//  3. [StepDeleteHooks]: each hook's Delete runs, in reverse order;
//  4. [StepDrop]: with [DropDatabase] only, the database is dropped;
//     otherwise it is kept, with its data, and a later Create of the id
//     takes it back (migrated to the current models, hooks run again).
//
// The database is the one the store publishes for the tenant; for a
// tenant the store does not hold (a Create that stopped before
// publishing, or a Delete that stopped after unpublishing), the name
// derived from its id, or WithDatabase's. A re-run after a failure or a
// crash at any step finishes the work. A tenant gone already (not in the
// store, no database) is success with DropDatabase, which asks for
// exactly that; without it, it is an error wrapping tenant.ErrUnknown,
// so that a mistyped id does not pass for a deleted tenant.
//
// Before anything changes, Delete refuses (and changes nothing) an
// invalid id, a tenant whose published database is not one the Server
// provisions ([ErrForeign]), and a database the store publishes for
// another tenant too ([ErrInUse]). Errors about the tenant are
// *tenant.Error values naming it.
//
// A cancelled ctx stops Delete before its next step.
func (p *Provisioner) Delete(ctx context.Context, id string, opts ...Option) error {
	o, name, err := p.start(id, opts)
	if err != nil {
		return err
	}
	if err := p.delete(ctx, id, name, o); err != nil {
		return &tenant.Error{ID: id, Err: err}
	}
	return nil
}

func (p *Provisioner) delete(ctx context.Context, id, name string, o options) error {
	start := time.Now()
	srv := p.cfg.Server
	unlock, err := p.lock(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()

	rec, published, err := p.get(ctx, id)
	if err != nil {
		return err
	}
	db := srv.Database(name)
	if published {
		cur, ok := p.tenantDatabase(rec)
		n, mine := srv.NameOf(cur)
		switch {
		case !ok || !mine:
			return fmt.Errorf("%w: the store holds it with %s; nothing changed", ErrForeign, describe(srv, cur, ok))
		case o.name != "" && n != o.name:
			return fmt.Errorf("%w: the store holds it with database %q, not %q; nothing changed", ErrExists, n, o.name)
		}
		name, db = n, cur
	}
	log := p.log.With(slog.String("tenant", id), slog.String("database", name))
	exists, err := srv.Exists(ctx, name)
	if err != nil {
		return err
	}
	if !published && !exists {
		if o.drop {
			log.LogAttrs(ctx, slog.LevelInfo, "tenant gone already: not in the store, no database")
			return nil
		}
		return fmt.Errorf("provision: %w: not in the store, and no database %q", tenant.ErrUnknown, name)
	}
	if err := p.checkUnused(ctx, id, name); err != nil {
		return err
	}

	step := func(s Step, fn func() error) error { return runStep(ctx, log, o, s, fn) }
	err = step(StepUnpublish, func() error {
		if !published {
			return nil
		}
		return p.unpublish(ctx, id, rec.Version)
	})
	if err != nil {
		return err
	}
	if err := step(StepDrain, func() error { return p.drain(ctx, log, name, exists) }); err != nil {
		return err
	}
	err = step(StepDeleteHooks, func() error {
		if !exists {
			log.LogAttrs(ctx, slog.LevelWarn, "the database does not exist: delete hooks not run")
			return nil
		}
		t := Tenant{ID: id, Database: db}
		return p.runHooks(ctx, log, t, name, true, func(h Hook) hookFunc { return h.Delete })
	})
	if err != nil {
		return err
	}
	err = step(StepDrop, func() error {
		if !o.drop || !exists {
			return nil
		}
		return srv.Drop(ctx, name)
	})
	if err != nil {
		return err
	}
	log.LogAttrs(ctx, slog.LevelInfo, "tenant deleted", slog.Bool("database_dropped", o.drop && exists), slog.Duration("took", time.Since(start)))
	return nil
}
