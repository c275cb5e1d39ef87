package tenantsync

import (
	"context"
	"errors"
	"fmt"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Load sets every tenant the store holds on target, once: the way in of
// a one-shot command (a migration, a report), where Start would keep a
// watcher running for nothing. It removes no tenant from target. A
// tenant whose config is missing, does not decode or is refused by
// target is reported in the joined error, and the others are set all
// the same. A store with no tenant returns ErrEmptyStore unless
// WithAllowEmpty is given.
//
// Each tenant set on target is then given to the config targets of
// WithConfigTargets, whose refusals are joined to the error too.
//
// WithDatabase, WithAllowEmpty, WithApplyTimeout, WithConfigTargets and
// WithName apply; WithResyncInterval and WithLogger have no effect on a
// single load, and WithHooks is refused, since Load would not run the
// hooks. A bad option fails Load before anything is read.
func Load(ctx context.Context, store tenantconfig.Store, target Target, opts ...Option) error {
	if store == nil || target == nil {
		return errors.New("tenantsync: nil store or target")
	}
	opt, err := newOptions(store, opts)
	if err != nil {
		return err
	}
	if len(opt.hooks) > 0 {
		return errors.New("tenantsync: WithHooks: Load runs no hooks (Start does)")
	}
	snap, err := store.Snapshot(ctx)
	undecodable, err := undecodableOf(err)
	if err != nil {
		return fmt.Errorf("tenantsync: load %s: %w", opt.name, err)
	}
	if len(snap) == 0 && len(undecodable) == 0 && !opt.allowEmpty {
		return emptyStoreError(opt.name)
	}
	var errs []error
	for _, id := range sortedKeys(undecodable) {
		errs = append(errs, fmt.Errorf("tenantsync: tenant %q: its config does not decode", id))
	}
	for _, id := range sortedKeys(snap) {
		rec := snap[id]
		db, ok := rec.Config.Database(opt.orm, opt.alias)
		if !ok {
			errs = append(errs, fmt.Errorf("tenantsync: tenant %q: no orm_config.%s.%s", id, opt.orm, opt.alias))
			continue
		}
		db.Version = rec.Version
		actx, cancel := opt.applyContext(ctx)
		err := target.Set(actx, id, db)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("tenantsync: %w", err))
			continue
		}
		for _, t := range opt.configTargets {
			actx, cancel := opt.applyContext(ctx)
			err := t.Set(actx, id, rec.Config.Clone())
			cancel()
			if err != nil {
				errs = append(errs, fmt.Errorf("tenantsync: tenant %q: config target: %w", id, err))
			}
		}
	}
	return errors.Join(errs...)
}

// emptyStoreError says which store holds no tenant, and what to do.
func emptyStoreError(name string) error {
	return fmt.Errorf("%w: no configuration for the service in %s; load one (tenantctl load) or give WithAllowEmpty", ErrEmptyStore, name)
}
