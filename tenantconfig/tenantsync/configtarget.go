package tenantsync

import (
	"context"
	"errors"
	"log/slog"
	"maps"

	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// ConfigTarget receives each tenant's whole configuration from a Syncer
// or Load given [WithConfigTargets]: the parts beside the database the
// [Target] serves (cacheaware.Caches takes its caches from it).
//
// A ConfigTarget follows the Target: it is given a tenant's config once
// the Target holds the database of that config, never a config whose
// database the Target refused (the tenant then stays on its last good
// config in both). It is given a config again only when some part of it
// changes, and Remove when the tenant leaves the Target. An error from
// Set is logged and counted in Stats.Refused, leaves the Target as it
// is, and the config is given again at the next resync. The calls come
// from the Syncer's one goroutine, in order, each bounded by the apply
// timeout; cfg is the ConfigTarget's own copy.
type ConfigTarget interface {
	Set(ctx context.Context, id string, cfg tenantconfig.Config) error
	Remove(ctx context.Context, id string) error
}

// tellConfig gives cfg to the config targets that do not hold it yet,
// if the target holds cfg's database. It reports whether they all hold
// it now.
func (s *Syncer) tellConfig(ctx context.Context, id string, version uint64, cfg tenantconfig.Config) bool {
	if len(s.opt.configTargets) == 0 {
		return true
	}
	db, ok := cfg.Database(s.opt.orm, s.opt.alias)
	if cur, serving := s.applied[id]; !ok || !serving || !cur.Equal(db) {
		return false // the target refused this config: keep the last good one
	}
	held := true
	for i, t := range s.opt.configTargets {
		if prev, ok := s.told[i][id]; ok && configEqual(prev, cfg) {
			continue
		}
		actx, cancel := s.opt.applyContext(ctx)
		err := t.Set(actx, id, cfg.Clone())
		cancel()
		if err != nil {
			s.refuse(ctx, id, version, err)
			held = false
			continue
		}
		s.told[i][id] = cfg.Clone()
	}
	return held
}

// forgetConfig takes a tenant out of the config targets that hold it.
func (s *Syncer) forgetConfig(ctx context.Context, id string) {
	for i, t := range s.opt.configTargets {
		if _, ok := s.told[i][id]; !ok {
			continue
		}
		delete(s.told[i], id)
		if err := t.Remove(ctx, id); err != nil && !errors.Is(err, tenant.ErrUnknown) {
			s.log.LogAttrs(ctx, slog.LevelWarn, "removing a tenant from a config target failed",
				slog.String("tenant", id), slog.String("error", err.Error()))
		}
	}
}

// configEqual reports whether two configs are the same, ignoring the
// databases' versions.
func configEqual(a, b tenantconfig.Config) bool {
	if len(a.ORM) != len(b.ORM) || !maps.Equal(a.Cache, b.Cache) {
		return false
	}
	for orm, as := range a.ORM {
		bs, ok := b.ORM[orm]
		if !ok || len(as) != len(bs) {
			return false
		}
		for alias, db := range as {
			if other, ok := bs[alias]; !ok || !db.Equal(other) {
				return false
			}
		}
	}
	return true
}
