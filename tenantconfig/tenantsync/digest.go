package tenantsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// A store that is a tenantconfig.Digester keeps a digest of its content:
// the XOR of every record's Sum. The Syncer keeps the Sum of each record
// it read, and the XOR of those its targets hold. A resync reads the
// store's digest (a few bytes) and stops there when it is the one held;
// otherwise it scans the store's Sums a chunk at a time and reads only
// the records whose Sums differ from the ones held, and the tenants held
// that the scan did not give (removed, or changed meanwhile). A record
// the targets refused has no Sum held: the digests differ until it is
// applied, and each resync tries it again.
//
// A record whose version was given again to other content (a rewritten
// history) has another Sum: it is read and compared like any change.

// heldSum is the Sum of a record the Syncer read.
type heldSum struct {
	sum Sum
	gen uint32 // the scan that last gave or read it
	ok  bool   // the targets hold the record: its Sum is in the digest
}

// Sum is a record's tenantconfig.Sum.
type Sum = tenantconfig.Sum

// setSum notes that tenant id's record, whose Sum is sum, was read, and
// whether the targets hold it.
func (s *Syncer) setSum(id string, sum Sum, ok bool) {
	s.dropSum(id)
	s.sums[id] = heldSum{sum: sum, gen: s.gen, ok: ok}
	if ok {
		s.digest = s.digest.Xor(sum)
		s.okSums++
	}
}

// dropSum forgets tenant id's Sum.
func (s *Syncer) dropSum(id string) {
	h, found := s.sums[id]
	if !found {
		return
	}
	if h.ok {
		s.digest = s.digest.Xor(h.sum)
		s.okSums--
	}
	delete(s.sums, id)
}

// resyncDigest makes the target hold exactly the store's tenants, reading
// only what differs from what it holds (see above). It returns how many
// tenants the store holds. A boot logs its line at Info. full reads
// every record, trusting no Sum: a record edited by hand, without its
// Sum, is found only so.
func (s *Syncer) resyncDigest(ctx context.Context, d tenantconfig.Digester, boot, full bool) (found int, err error) {
	eventCtx := ctx
	ctx = s.beginBatch(ctx)
	defer func() {
		if err == nil {
			s.stats.resyncs.Add(1)
		}
		s.endBatch(ctx, boot)
	}()
	dg, err := d.Digest(ctx)
	if err != nil {
		return 0, err
	}
	s.from = &dg
	defer func() { s.from = nil }()
	if dg.Tenants == 0 && len(s.applied) > 0 && !s.emptiedAt(dg.Revision) {
		s.keepOnEmptyStore(ctx)
		return 0, nil
	}
	// A store that lost all its data (another epoch, and a revision
	// below the newest version applied) and was written again: its first
	// writes (a sign-up) must not make every instance drop every other
	// tenant. A failover that lost a few writes keeps its epoch: the
	// store as it is wins. The epoch is followed even when nothing else
	// changed: a store written by an older version gets its epoch at its
	// first write by this one, whose announcement leaves the digests
	// equal. A store without one (its epoch key deleted) keeps the
	// epoch known until it has another.
	// The mark is the store's revision when it was last taken as it is,
	// or the newest version applied since if higher: its last writes may
	// have been removals, which leave every version applied below its
	// revision. A tenant loaded again into the new store, at a lower
	// version, does not lower it.
	recreated := dg.Revision < s.highWater && s.epoch != "" && dg.Epoch != "" && dg.Epoch != s.epoch
	if !recreated {
		if dg.Epoch != "" {
			s.epoch = dg.Epoch
		}
		defer func() {
			if err == nil { // the store as it is, taken
				s.highWater = max(s.newestApplied(), dg.Revision)
			}
		}()
	}
	if !full && dg.Sum == s.digest && s.okSums == len(s.sums) && len(s.sums) == len(s.applied) && dg.Tenants == len(s.sums) {
		return dg.Tenants, nil // nothing changed
	}
	if len(s.applied) == 0 && len(s.sums) == 0 && dg.Tenants > 0 {
		// A boot: the maps are made once at the store's size (not
		// trusted beyond a bound), not grown a tenant at a time.
		n := min(dg.Tenants, maxPresize)
		s.applied = make(map[string]tenantconfig.Database, n)
		s.sums = make(map[string]heldSum, n)
	}
	s.recreated = recreated
	s.kept = s.kept[:0]
	defer func() {
		if len(s.kept) > 0 {
			s.keepOnLostData(ctx, s.kept, dg.Revision)
		}
		s.recreated, s.kept = false, s.kept[:0]
	}()
	s.gen++
	err = d.ScanSums(ctx, func(chunk map[string]Sum) error {
		found += len(chunk)
		ids := make([]string, 0, len(chunk))
		for id, sum := range chunk {
			if h, ok := s.sums[id]; ok && h.ok && h.sum == sum && !full {
				h.gen = s.gen
				s.sums[id] = h
				continue
			}
			ids = append(ids, id)
		}
		if err := s.readAndPut(ctx, d, ids); err != nil {
			return err
		}
		if !boot {
			s.applyPending(eventCtx)
		}
		return nil
	})
	if err != nil {
		return found, err
	}
	// The tenants held that the scan did not give: removed, or changed
	// while it ran.
	var missing []string
	for id := range s.applied {
		if h, ok := s.sums[id]; !ok || h.gen != s.gen {
			missing = append(missing, id)
		}
	}
	for id, h := range s.sums {
		if _, ok := s.applied[id]; !ok && h.gen != s.gen {
			missing = append(missing, id) // a refused tenant
		}
	}
	// A tenant the scan refused for a database that a removal here frees
	// is announced again once the resync ends (requeueWaiting).
	if err := s.readAndPut(ctx, d, missing); err != nil {
		return found, err
	}
	if boot {
		// All of the store's tenants or none: a boot that read part of
		// them before the store lost its data fails (Start undoes it).
		return found, s.notWentBack(ctx, d)
	}
	return found, nil
}

// maxPresize bounds the tenants the syncer's maps are made for at boot:
// a digest that claims more (forged, or a store padded) costs at most
// this; past it the maps grow as tenants come.
const maxPresize = 1 << 16

// applyPending applies the announcements waiting, between two chunks of
// a resync: a resync that reads every record (the full check) takes over
// a second for 100,000 tenants in Redis, and the announcements that
// arrive meanwhile must not wait for all of it. A tenant an announcement
// sets is read now, with the scan's gen: the scan takes it for given;
// one it removes is no longer held. The resync's line counts none of
// them.
func (s *Syncer) applyPending(ctx context.Context) {
	s.mu.Lock()
	pending, arrived := s.pending, s.arrived
	if len(pending) == 0 {
		s.mu.Unlock()
		return
	}
	s.pending, s.arrived = map[string]tenantconfig.Event{}, nil
	s.mu.Unlock()
	b := s.batch
	s.batch = nil
	defer func() { s.batch = b }()
	s.applyEvents(ctx, pending, arrived)
}

// readAndPut reads the records of ids and makes the targets hold them;
// the tenants the store does not hold are removed (unless it was
// recreated: see resyncDigest), those whose configs do not decode are left as they are.
func (s *Syncer) readAndPut(ctx context.Context, d tenantconfig.Digester, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	recs, err := d.Records(ctx, ids)
	undecodable, err := undecodableOf(err)
	if err != nil {
		return err
	}
	if err := s.checkNotWentBack(ctx, d, ids, recs, undecodable); err != nil {
		return err
	}
	// Removals first: a database one frees may be a new tenant's now (a
	// tenant renamed), which the new tenants set together then get at
	// once; putSharedAgain covers the other orders.
	for _, id := range ids {
		if _, ok := recs[id]; ok || undecodable[id] {
			continue
		}
		if s.recreated && s.isApplied(id) {
			s.kept = append(s.kept, id)
		} else {
			s.remove(ctx, id, 0)
		}
	}
	s.preset = s.setNewTogether(ctx, ids, recs)
	defer func() { s.preset = nil }()
	s.collectShared()
	for _, id := range ids {
		switch rec, ok := recs[id]; {
		case ok:
			s.putSummed(ctx, id, rec)
		case undecodable[id]:
			s.refuse(ctx, id, 0, errors.New("its config does not decode"))
			s.setSum(id, Sum{}, false)
		}
	}
	s.preset = nil // set again one by one
	s.putSharedAgain(ctx, func(p sharedRefusal) { s.putSummed(ctx, p.id, recs[p.id]) })
	return nil
}

// errWentBack fails a resync, a boot or a Load during which the store
// went back.
var errWentBack = errors.New("tenantsync: the store went back while it was read (lost its data, or a failover lost writes)")

// checkNotWentBack, before a resync removes tenants the store no longer
// holds (some of ids, absent from recs), reads the store's digest again:
// a store that lost its data (another epoch, or its revision below the
// one the resync began at) while the resync ran lost those tenants, and
// they are not removed. The resync fails and is retried: it then finds
// the store empty, or recreated, and keeps them.
func (s *Syncer) checkNotWentBack(ctx context.Context, d tenantconfig.Digester, ids []string, recs map[string]tenantconfig.SummedRecord, undecodable map[string]bool) error {
	if s.from == nil || s.recreated {
		return nil
	}
	removes := slices.ContainsFunc(ids, func(id string) bool {
		_, held := recs[id]
		return !held && !undecodable[id] && s.isApplied(id)
	})
	if !removes {
		return nil
	}
	return s.notWentBack(ctx, d)
}

// notWentBack fails when the store went back since the resync under way
// began.
func (s *Syncer) notWentBack(ctx context.Context, d tenantconfig.Digester) error {
	return notWentBackSince(ctx, d, *s.from)
}

// notWentBackSince fails when the store's digest now shows that it went
// back since it was from: another epoch, or a lower revision.
func notWentBackSince(ctx context.Context, d tenantconfig.Digester, from tenantconfig.Digest) error {
	now, err := d.Digest(ctx)
	if err != nil {
		return err
	}
	if now.Revision < from.Revision || from.Epoch != "" && now.Epoch != "" && now.Epoch != from.Epoch {
		return fmt.Errorf("%w: revision %d when it began, %d now", errWentBack, from.Revision, now.Revision)
	}
	return nil
}

// isApplied reports whether the targets hold tenant id.
func (s *Syncer) isApplied(id string) bool {
	_, ok := s.applied[id]
	return ok
}

// putSummed makes the targets hold rec and notes its Sum. It reports
// whether rec shows that the store's history was rewritten.
func (s *Syncer) putSummed(ctx context.Context, id string, rec tenantconfig.SummedRecord) (rewritten bool) {
	held, rewritten := s.put(ctx, id, rec.Record)
	s.setSum(id, rec.Sum, held)
	return rewritten
}

// applyEventsSummed is applyEvents for a Digester: the announced tenants'
// records are read together, with their Sums, so that the digest held
// stays the store's.
func (s *Syncer) applyEventsSummed(ctx context.Context, d tenantconfig.Digester, pending map[string]tenantconfig.Event, arrived map[string]time.Time) {
	ids := sortedKeys(pending)
	rewritten := false
	// A chunk at a time: a burst of announcements (a whole file loaded)
	// is read like a resync, never all at once.
	for len(ids) > 0 {
		n := min(len(ids), eventChunk)
		ok, rw := s.applyEventChunk(ctx, d, ids[:n], pending, arrived)
		if !ok {
			return
		}
		rewritten = rewritten || rw
		ids = ids[n:]
	}
	if rewritten {
		s.requestResync()
	}
}

// eventChunk is how many announced tenants are read together.
const eventChunk = 1000

// applyEventChunk applies the announcements of ids. It reports whether
// their records could be read (if not, a resync is asked for), and
// whether one showed that the store's history was rewritten.
func (s *Syncer) applyEventChunk(ctx context.Context, d tenantconfig.Digester, ids []string, pending map[string]tenantconfig.Event, arrived map[string]time.Time) (ok, rewritten bool) {
	recs, err := d.Records(ctx, ids)
	undecodable, err := undecodableOf(err)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "reading announced tenants failed, resyncing",
			slog.Int("tenants", len(ids)), slog.String("error", err.Error()))
		s.requestResync()
		return false, false
	}
	s.collectShared()
	for _, id := range ids {
		e := pending[id]
		refused := s.stats.refused.Load()
		switch rec, ok := recs[id]; {
		case ok && s.staleRead(ctx, id, rec.Record, e):
		case ok:
			if rec.Version > e.Version {
				s.stats.stale.Add(1) // changed since: its announcement follows
			}
			if s.putSummed(ctx, id, rec) {
				rewritten = true
			}
		case undecodable[id]:
			s.refuse(ctx, id, e.Version, errors.New("its config does not decode"))
			s.setSum(id, Sum{}, false)
		case s.lostRead(ctx, id, e):
		default:
			if !e.Deleted {
				s.stats.stale.Add(1) // removed since: its announcement follows
			}
			s.remove(ctx, id, e.Version)
		}
		s.reportLag(arrived, id, refused, false)
	}
	s.putSharedAgain(ctx, func(p sharedRefusal) { s.putSummed(ctx, p.id, recs[p.id]) })
	return true, rewritten
}
