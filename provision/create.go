package provision

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Create provisions tenant id and returns the database published for
// it, with the store's version. Its steps, each reported to
// [WithStepDone]:
//
//  1. [StepDatabase]: the database is created (Server.Create; one that
//     exists is taken as made by an earlier run);
//  2. [StepMigrate]: Config.Migrate runs on it;
//  3. [StepHooks]: each hook's Create runs, in order;
//  4. [StepPublish]: the tenant is put in the store, which every
//     instance watches.
//
// The tenant is published last, once every other step succeeded, so no
// instance ever routes to a half-built database. A Create that fails or
// is stopped at any step leaves what it made unpublished, and a re-run
// (every step is idempotent) finishes it; so does Delete with
// [DropDatabase] remove it.
//
// A tenant the store already holds with the same database is provisioned
// already: Create changes nothing and returns it (an error wrapping
// [ErrNoDatabase] if that database is missing). With another database it
// fails with [ErrExists]; a database the store publishes for another
// tenant fails with [ErrInUse]; an invalid id (tenant.ErrInvalidID) or
// name ([ErrInvalidName]) is refused. In each case nothing is created or
// changed. Errors about the tenant are *tenant.Error values naming it.
//
// A cancelled ctx stops Create before its next step.
func (p *Provisioner) Create(ctx context.Context, id string, opts ...Option) (tenantconfig.Database, error) {
	o, name, err := p.start(id, opts)
	if err != nil {
		return tenantconfig.Database{}, err
	}
	if o.deleteOnly != "" {
		return tenantconfig.Database{}, fmt.Errorf("provision: %s is an option of Delete, not Create", o.deleteOnly)
	}
	db, err := p.create(ctx, id, name, o)
	if err != nil {
		return tenantconfig.Database{}, &tenant.Error{ID: id, Err: err}
	}
	return db, nil
}

func (p *Provisioner) create(ctx context.Context, id, name string, o options) (tenantconfig.Database, error) {
	start := time.Now()
	log := p.log.With(slog.String("tenant", id), slog.String("database", name))
	srv := p.cfg.Server
	want := srv.Database(name)

	unlock, err := p.lock(ctx, id)
	if err != nil {
		return tenantconfig.Database{}, err
	}
	defer unlock()

	rec, published, err := p.get(ctx, id)
	if err != nil {
		return tenantconfig.Database{}, err
	}
	if published {
		cur, ok := p.tenantDatabase(rec)
		if !ok || !cur.Equal(want) {
			return tenantconfig.Database{}, fmt.Errorf("%w: the store holds it with %s; nothing created", ErrExists, describe(srv, cur, ok))
		}
		exists, err := srv.Exists(ctx, name)
		if err != nil {
			return tenantconfig.Database{}, err
		}
		if !exists {
			return tenantconfig.Database{}, fmt.Errorf("%w: database %q", ErrNoDatabase, name)
		}
		log.LogAttrs(ctx, slog.LevelInfo, "tenant provisioned already: nothing to do", slog.Uint64("version", rec.Version))
		return cur, nil
	}
	if err := p.checkUnused(ctx, id, name); err != nil {
		return tenantconfig.Database{}, err
	}

	step := func(s Step, fn func() error) error { return runStep(ctx, log, o, s, fn) }
	if err := step(StepDatabase, func() error { return srv.Create(ctx, name) }); err != nil {
		return tenantconfig.Database{}, err
	}
	err = step(StepMigrate, func() error {
		if p.cfg.Migrate == nil {
			return nil
		}
		return p.withDB(ctx, name, func(db *gorm.DB) error { return p.cfg.Migrate(ctx, db) })
	})
	if err != nil {
		return tenantconfig.Database{}, err
	}
	t := Tenant{ID: id, Database: want}
	err = step(StepHooks, func() error {
		return p.runHooks(ctx, log, t, name, false, func(h Hook) hookFunc { return h.Create })
	})
	if err != nil {
		return tenantconfig.Database{}, err
	}
	var version uint64
	err = step(StepPublish, func() error {
		version, err = p.publish(ctx, id, want)
		return err
	})
	if err != nil {
		return tenantconfig.Database{}, err
	}
	want.Version = version
	log.LogAttrs(ctx, slog.LevelInfo, "tenant provisioned", slog.Uint64("version", version), slog.Duration("took", time.Since(start)))
	return want, nil
}

// describe names a published database without its DSN or password.
func describe(srv Server, db tenantconfig.Database, ok bool) string {
	if !ok {
		return "no database for this alias"
	}
	if n, mine := srv.NameOf(db); mine {
		return fmt.Sprintf("database %q", n)
	}
	return "a database set by other means (" + db.String() + ")"
}
