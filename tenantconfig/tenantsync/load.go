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
// Options.AllowEmpty is set. Only Options.ORM, Alias, AllowEmpty and
// ApplyTimeout apply.
func Load(ctx context.Context, store tenantconfig.Store, target Target, opt Options) error {
	if store == nil || target == nil {
		return errors.New("tenantsync: nil store or target")
	}
	opt = opt.withDefaults(store)
	snap, err := store.Snapshot(ctx)
	undecodable, err := undecodableOf(err)
	if err != nil {
		return fmt.Errorf("tenantsync: load %s: %w", opt.Name, err)
	}
	if len(snap) == 0 && len(undecodable) == 0 && !opt.AllowEmpty {
		return fmt.Errorf("%w: no configuration for the service in %s; load one (tenantctl load) or set AllowEmpty", ErrEmptyStore, opt.Name)
	}
	var errs []error
	for _, id := range sortedKeys(undecodable) {
		errs = append(errs, fmt.Errorf("tenantsync: tenant %q: its config does not decode", id))
	}
	for _, id := range sortedKeys(snap) {
		rec := snap[id]
		db, ok := rec.Config.Database(opt.ORM, opt.Alias)
		if !ok {
			errs = append(errs, fmt.Errorf("tenantsync: tenant %q: no orm_config.%s.%s", id, opt.ORM, opt.Alias))
			continue
		}
		db.Version = rec.Version
		actx, cancel := context.WithTimeout(ctx, opt.ApplyTimeout)
		err := target.Set(actx, id, db)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("tenantsync: %w", err))
		}
	}
	return errors.Join(errs...)
}
