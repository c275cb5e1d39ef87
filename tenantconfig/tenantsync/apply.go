package tenantsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// undecodableOf splits a snapshot error: the tenants whose configs do
// not decode (to be left as they are), or a failure of the whole read.
func undecodableOf(err error) (map[string]bool, error) {
	var ue *tenantconfig.UndecodableError
	if err == nil || !errors.As(err, &ue) {
		return nil, err
	}
	bad := make(map[string]bool, len(ue.Tenants))
	for _, id := range ue.Tenants {
		bad[id] = true
	}
	return bad, nil
}

// applySnapshot makes the target hold exactly the snapshot's tenants. A
// snapshot is the store as it is now: it wins over what was applied,
// whatever the versions (put compares the databases too). Tenants whose
// configs do not decode are left as they are.
func (s *Syncer) applySnapshot(ctx context.Context, snap map[string]tenantconfig.Record, undecodable map[string]bool, boot bool) {
	ctx = s.beginBatch(ctx)
	defer s.stats.resyncs.Add(1) // counted once applied
	defer s.endBatch(ctx, boot)
	for _, id := range sortedKeys(undecodable) {
		s.refuse(ctx, id, 0, errors.New("its config does not decode"))
	}
	if len(snap) == 0 && len(undecodable) == 0 && len(s.applied) > 0 && !s.reallyEmpty(ctx) {
		s.keepOnEmptyStore(ctx)
		return
	}
	// Removals first: a database freed by one tenant may be another's now.
	for _, id := range sortedKeys(s.applied) {
		if _, ok := snap[id]; !ok && !undecodable[id] {
			s.remove(ctx, id, 0)
		}
	}
	s.collectShared()
	for _, id := range sortedKeys(snap) {
		s.put(ctx, id, snap[id])
	}
	s.putSharedAgain(ctx, func(p sharedRefusal) { s.put(ctx, p.id, p.rec) })
}

// behindAt reports whether a store at revision rev lost writes that
// were applied: every version is the store's revision at its write, so
// a store whose revision is below the newest version applied went back
// (FLUSHALL, a restart without persistence, a failover to a replica that
// missed writes).
func (s *Syncer) behindAt(rev uint64) bool {
	return rev < s.newestApplied()
}

// newestApplied is the highest version of the tenants applied.
func (s *Syncer) newestApplied() uint64 {
	var newest uint64
	for _, db := range s.applied {
		newest = max(newest, db.Version)
	}
	return newest
}

// keepOnLostData reports a store at revision rev that lost all its data
// and was written again: the tenants it lacks (kept) stay, until its
// revision passes the one seen before the loss (highWater: its revision
// at the last resync, or a newer version applied since; not lowered by
// the tenants loaded again),
// or the instance restarts: a tenant the load does not write again
// stays until then.
func (s *Syncer) keepOnLostData(ctx context.Context, kept []string, rev uint64) {
	s.stats.empty.Add(1)
	slices.Sort(kept)
	named := kept[:min(len(kept), maxKeptNamed)]
	s.log.LogAttrs(ctx, slog.LevelError, "the config store lost its data and was written again: keeping the tenants it no longer holds "+
		"until its revision passes the one seen before; load the tenants again, then restart the instances to drop those the store does not hold",
		slog.String("store", s.opt.name), slog.Int("tenants_kept", len(kept)), slog.Any("kept", named),
		slog.Uint64("revision", rev), slog.Uint64("newest_applied", s.highWater))
}

// maxKeptNamed is how many of the tenants kept keepOnLostData names.
const maxKeptNamed = 10

// reallyEmpty tells an emptied store from a store that lost its data:
// removing every tenant on purpose leaves the revision at least at the
// versions of the tenants applied. Without a revision, an empty store is
// taken for one that lost its data.
func (s *Syncer) reallyEmpty(ctx context.Context) bool {
	r, ok := s.store.(tenantconfig.Reviser)
	if !ok {
		return false
	}
	rev, err := r.Revision(ctx)
	return err == nil && s.emptiedAt(rev)
}

// emptiedAt reports whether a store found empty at revision rev was
// emptied on purpose: rev is at least the versions of the tenants
// applied.
func (s *Syncer) emptiedAt(rev uint64) bool {
	return rev > 0 && !s.behindAt(rev)
}

// keepOnEmptyStore reports a store that lost its data: the tenants stay.
func (s *Syncer) keepOnEmptyStore(ctx context.Context) {
	s.stats.empty.Add(1)
	s.log.LogAttrs(ctx, slog.LevelError, "the config store is empty: keeping the tenants already known; if it restarted without persistence, load the tenants again",
		slog.String("store", s.opt.name), slog.Int("tenants_kept", len(s.applied)))
}

// applyEvents reads each announced tenant's record and makes the target
// hold exactly it. An announcement only says that a tenant changed: its
// version does not tell a duplicate, since a store whose history was
// rewritten gives a lost change's version to other content. A rewritten
// history seen on one tenant may have changed others (a lost removal
// brings a tenant back unannounced): a resync follows.
func (s *Syncer) applyEvents(ctx context.Context, pending map[string]tenantconfig.Event, arrived map[string]time.Time) {
	if len(pending) == 0 {
		return
	}
	if d, ok := s.store.(tenantconfig.Digester); ok {
		s.applyEventsSummed(ctx, d, pending, arrived)
		return
	}
	rewritten := false
	s.collectShared()
	for _, id := range sortedKeys(pending) {
		e := pending[id]
		refused := s.stats.refused.Load()
		rec, err := s.store.Get(ctx, id)
		switch {
		case errors.Is(err, tenant.ErrUnknown) && s.lostRead(ctx, id, e):
		case errors.Is(err, tenant.ErrUnknown):
			if !e.Deleted {
				s.stats.stale.Add(1) // removed since: its announcement follows
			}
			s.remove(ctx, id, e.Version)
		case err != nil:
			s.log.LogAttrs(ctx, slog.LevelWarn, "reading an announced tenant failed, resyncing",
				slog.String("tenant", id), slog.String("error", err.Error()))
			s.requestResync()
		case s.staleRead(ctx, id, rec, e):
		default:
			if rec.Version > e.Version {
				s.stats.stale.Add(1) // changed since: its announcement follows
			}
			if _, rw := s.put(ctx, id, rec); rw {
				rewritten = true
			}
		}
		s.reportLag(arrived, id, refused, err != nil && !errors.Is(err, tenant.ErrUnknown))
	}
	s.putSharedAgain(ctx, func(p sharedRefusal) { s.put(ctx, p.id, p.rec) })
	if rewritten {
		s.requestResync()
	}
}

// staleRead reports a record read after its announcement and older
// than it: a read served by a replica that has not caught up, or a store
// that lost the announced write. It is not applied (it could set the
// tenant back to a config older than the one applied); a resync reads
// the store again, and tells a lost write from a late replica.
func (s *Syncer) staleRead(ctx context.Context, id string, rec tenantconfig.Record, e tenantconfig.Event) bool {
	if rec.Version >= e.Version {
		return false
	}
	s.stats.staleReads.Add(1)
	s.log.LogAttrs(ctx, slog.LevelWarn, "read a tenant's config older than its announcement, resyncing",
		slog.String("tenant", id), slog.Uint64("read_version", rec.Version), slog.Uint64("announced_version", e.Version))
	s.requestResync()
	return true
}

// lostRead reports an announced change of a tenant served whose record
// is absent from a store now below the announced version: the store lost
// the write after announcing it (a restart without persistence, a
// failover), which says nothing of a removal. The tenant is not removed;
// a resync follows, which keeps the tenants of a store that lost its
// data. A store whose revision cannot be read is taken to have lost it.
func (s *Syncer) lostRead(ctx context.Context, id string, e tenantconfig.Event) bool {
	r, ok := s.store.(tenantconfig.Reviser)
	if e.Deleted || !ok || !s.isApplied(id) {
		return false
	}
	rev, err := r.Revision(ctx)
	if err == nil && rev >= e.Version {
		return false // removed since: its announcement follows
	}
	s.stats.staleReads.Add(1)
	s.log.LogAttrs(ctx, slog.LevelWarn, "an announced tenant is gone from a store below the announced version, resyncing",
		slog.String("tenant", id), slog.Uint64("revision", rev), slog.Uint64("announced_version", e.Version))
	s.requestResync()
	return true
}

// put makes the target, then the config targets, hold rec. It reports
// whether they all hold it now, and whether rec shows that the store's
// history was rewritten.
func (s *Syncer) put(ctx context.Context, id string, rec tenantconfig.Record) (held, rewritten bool) {
	held, rewritten = s.putTarget(ctx, id, rec)
	if !s.tellConfig(ctx, id, rec.Version, rec.Config) {
		held = false
	}
	return held, rewritten
}

// putTarget makes the target hold rec. A record whose version and
// database both equal what was applied changes nothing; a database that
// does not change is not checked again. It reports whether the target
// holds rec now, and whether rec shows that the store's history was
// rewritten.
func (s *Syncer) putTarget(ctx context.Context, id string, rec tenantconfig.Record) (held, rewritten bool) {
	db, ok := rec.Config.Database(s.opt.orm, s.opt.alias)
	if !ok {
		s.refuse(ctx, id, rec.Version, fmt.Errorf("no orm_config.%s.%s", s.opt.orm, s.opt.alias))
		return false, false
	}
	db.Version = rec.Version
	cur, serving := s.applied[id]
	same := serving && cur.Equal(db)
	if same && cur.Version == db.Version {
		return true, false // a duplicate
	}
	// The store's history was rewritten (a failover lost acknowledged
	// writes, or the store lost its data): the version applied now names
	// other content, or the store is below it.
	rewritten = serving && (db.Version < cur.Version || db.Version == cur.Version && !same)
	next := db
	if db.Version < cur.Version {
		next.Version = 0 // unversioned: replaces the target's newer version
	}
	var err error
	if done, ok := s.preset[id]; ok && !serving {
		err = done // set already, with the other new tenants of its chunk
	} else {
		err = s.verifyAndSet(ctx, id, next, serving && !same)
	}
	if err != nil {
		if !s.deferShared(id, rec, err) {
			s.refuse(ctx, id, rec.Version, err)
		}
		return false, rewritten
	}
	s.applied[id] = db
	s.applyDone(id)
	s.highWater = max(s.highWater, db.Version)
	if !serving {
		s.stats.tenants.Add(1)
	}
	if b := s.batch; b != nil {
		if serving {
			b.changed++
		} else {
			b.added++
		}
	}
	s.stats.applied.Add(1)
	s.bump(db.Version)
	if rewritten {
		s.stats.corrected.Add(1)
		if s.batch != nil {
			s.batch.corrected++
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "the store's history was rewritten: tenant set to what the store holds now",
			slog.String("store", s.opt.name), slog.String("tenant", id),
			slog.Uint64("version_applied", cur.Version), slog.Uint64("version", db.Version))
	}
	return true, rewritten
}

// verifyAndSet sets a tenant's database on the target, within the apply
// timeout. verify: a change to a serving tenant, which must reach
// databases that answer; otherwise the tenant stays on its last good
// config. (With an open pool the resolver pings anyway; this covers idle
// ones.)
func (s *Syncer) verifyAndSet(ctx context.Context, id string, db tenantconfig.Database, verify bool) error {
	actx, cancel := s.opt.applyContext(ctx)
	defer cancel()
	if v, ok := s.target.(Verifier); ok && verify {
		if err := v.Verify(actx, db); err != nil {
			return err
		}
	}
	return s.setTarget(actx, id, db)
}

// setTarget sets a tenant's database on the target.
func (s *Syncer) setTarget(ctx context.Context, id string, db tenantconfig.Database) error {
	err := s.target.Set(ctx, id, db)
	if errors.Is(err, resolver.ErrStaleConfig) {
		// The target holds a newer version than the store now has: the
		// store went back. The store is the truth.
		db.Version = 0
		err = s.target.Set(ctx, id, db)
	}
	return err
}

// remove takes a tenant off the target and forgets it: whatever the
// store holds for it next is applied, whatever its version. version is
// the announced removal's, or 0.
func (s *Syncer) remove(ctx context.Context, id string, version uint64) {
	if _, ok := s.applied[id]; !ok {
		s.dropSum(id)
		return
	}
	// The store's revision passed version: a store that loses its data
	// must pass it again before it is taken as it is (see resyncDigest).
	s.highWater = max(s.highWater, version)
	if err := s.target.Remove(ctx, id); err != nil && !errors.Is(err, tenant.ErrUnknown) {
		// Still served, and its Sum kept: the digests differ, and the
		// next resync removes it again.
		s.stats.refused.Add(1)
		s.log.LogAttrs(ctx, slog.LevelError, "removing a tenant failed, still served until a resync removes it",
			slog.String("tenant", id), slog.String("error", err.Error()))
		return
	}
	s.dropSum(id)
	if s.batch != nil {
		s.batch.removed++
	}
	s.bump(version)
	delete(s.applied, id)
	s.applyDone(id)
	s.forgetConfig(ctx, id)
	s.stats.tenants.Add(-1)
	s.stats.applied.Add(1)
}

func (s *Syncer) refuse(ctx context.Context, id string, version uint64, err error) {
	s.stats.refused.Add(1)
	if errors.Is(err, resolver.ErrDatabaseShared) {
		// Reported at the end of its run, which put it again after every
		// other change of the run: only a later change may free the
		// database now.
		s.waiting[id] = version
		s.freed = false
	}
	if b := s.batch; b != nil {
		b.refused++
		if b.refused > maxRefusalLines {
			return // counted in the batch's line
		}
	}
	msg := "tenant change refused, keeping its last good config"
	if _, serving := s.applied[id]; !serving {
		msg = "new tenant refused, not served until its config is fixed"
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, msg,
		slog.String("tenant", id), slog.Uint64("version", version), slog.String("error", err.Error()))
}

func (s *Syncer) bump(v uint64) {
	for {
		cur := s.stats.lastVer.Load()
		if v <= cur || s.stats.lastVer.CompareAndSwap(cur, v) {
			return
		}
	}
}
