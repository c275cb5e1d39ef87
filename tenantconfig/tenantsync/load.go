package tenantsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Load sets every tenant the store holds on target, once: the way in of
// a one-shot command (a migration, a report), where Start would keep a
// watcher running for nothing. It removes no tenant from target. A
// tenant whose config is missing, does not decode or is refused by
// target is reported in the joined error, and the others are set all
// the same. A store with no tenant returns ErrEmptyStore unless
// WithAllowEmpty is given. A [tenantconfig.Digester] store is read a
// thousand tenants at a time, else with one snapshot; one that went back
// meanwhile (its digest shows another epoch or a lower revision: it lost
// its data) fails Load, having given only part of its tenants. The tenants are
// set under [resolver.WithoutTenantLog]: Load logs one line for all
// ("tenants loaded from the store", with the counts set and refused).
//
// Each tenant set on target is then given to the config targets of
// WithConfigTargets, whose refusals are joined to the error too.
//
// WithDatabase, WithAllowEmpty, WithApplyTimeout, WithConfigTargets,
// WithName and WithLogger apply; WithResyncInterval has no effect on a
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
	l := loader{opt: &opt, target: target}
	ctx = resolver.WithoutTenantLog(ctx)
	if d, ok := store.(tenantconfig.Digester); ok {
		// The digest before and after: a store that lost its data
		// meanwhile gave only part of its tenants.
		var from tenantconfig.Digest
		if from, err = d.Digest(ctx); err == nil {
			err = d.ScanSums(ctx, func(chunk map[string]tenantconfig.Sum) error {
				recs, err := d.Records(ctx, sortedKeys(chunk))
				undecodable, err := undecodableOf(err)
				if err != nil {
					return err
				}
				l.load(ctx, recs, undecodable)
				return nil
			})
		}
		if err == nil {
			err = notWentBackSince(ctx, d, from)
		}
	} else {
		var snap map[string]tenantconfig.Record
		snap, err = store.Snapshot(ctx)
		var undecodable map[string]bool
		if undecodable, err = undecodableOf(err); err == nil {
			recs := make(map[string]tenantconfig.SummedRecord, len(snap))
			for id, r := range snap {
				recs[id] = tenantconfig.SummedRecord{Record: r}
			}
			l.load(ctx, recs, undecodable)
		}
	}
	if err != nil {
		return fmt.Errorf("tenantsync: load %s: %w", opt.name, err)
	}
	if l.found == 0 && !opt.allowEmpty {
		return emptyStoreError(opt.name)
	}
	opt.logger.LogAttrs(ctx, slog.LevelInfo, "tenants loaded from the store",
		slog.String("store", opt.name), slog.Int("tenants", l.found),
		slog.Int("set", l.set), slog.Int("refused", len(l.errs)))
	return errors.Join(l.errs...)
}

// loader sets the tenants Load reads.
type loader struct {
	opt        *options
	target     Target
	found, set int
	errs       []error
}

// load sets recs on the target (in tenant order) and reports the
// undecodable tenants.
func (l *loader) load(ctx context.Context, recs map[string]tenantconfig.SummedRecord, undecodable map[string]bool) {
	l.found += len(recs) + len(undecodable)
	for _, id := range sortedKeys(undecodable) {
		l.errs = append(l.errs, fmt.Errorf("tenantsync: tenant %q: its config does not decode", id))
	}
	opt := l.opt
	for _, id := range sortedKeys(recs) {
		rec := recs[id]
		db, ok := rec.Config.Database(opt.orm, opt.alias)
		if !ok {
			l.errs = append(l.errs, fmt.Errorf("tenantsync: tenant %q: no orm_config.%s.%s", id, opt.orm, opt.alias))
			continue
		}
		db.Version = rec.Version
		actx, cancel := opt.applyContext(ctx)
		err := l.target.Set(actx, id, db)
		cancel()
		if err != nil {
			l.errs = append(l.errs, fmt.Errorf("tenantsync: %w", err))
			continue
		}
		l.set++
		for _, t := range opt.configTargets {
			actx, cancel := opt.applyContext(ctx)
			err := t.Set(actx, id, rec.Config.Clone())
			cancel()
			if err != nil {
				l.errs = append(l.errs, fmt.Errorf("tenantsync: tenant %q: config target: %w", id, err))
			}
		}
	}
}

// emptyStoreError says which store holds no tenant, and what to do.
func emptyStoreError(name string) error {
	return fmt.Errorf("%w: no configuration for the service in %s; load one (tenantctl load) or give WithAllowEmpty", ErrEmptyStore, name)
}
