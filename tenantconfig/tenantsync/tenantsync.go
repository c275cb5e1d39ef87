package tenantsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// ErrEmptyStore is returned by Start and Load when the store holds no
// tenant and WithAllowEmpty is not given.
var ErrEmptyStore = errors.New("tenantsync: the store holds no tenant")

// Target is what a Syncer changes: [*resolver.Resolver], or a wrapper
// around one. A Target that also implements [Verifier] has each change to
// a serving tenant checked before it is applied; a wrapper that does not
// implement it loses that check, and a change to an idle tenant's
// databases is then applied whether they answer or not.
type Target interface {
	Set(ctx context.Context, id string, cfg tenantconfig.Database) error
	Remove(ctx context.Context, id string) error
}

// Verifier is implemented by a Target that can check a config's databases
// before it is applied ([*resolver.Resolver] does: it opens and pings
// them). A Syncer calls Verify before each change to a tenant it serves,
// and leaves the tenant on its last good config when Verify fails.
type Verifier interface {
	Verify(ctx context.Context, cfg tenantconfig.Database) error
}

var (
	_ Target   = (*resolver.Resolver)(nil)
	_ Verifier = (*resolver.Resolver)(nil)
)

// Stats counts what a Syncer did.
type Stats struct {
	Tenants     int    // tenants applied and not removed
	Applied     uint64 // changes applied (set or removed)
	Refused     uint64 // changes refused (bad config, unreachable database)
	Stale       uint64 // announcements or entries older than what was applied
	Resyncs     uint64 // full resyncs
	EmptyStore  uint64 // resyncs that found the store empty while tenants were known
	LastVersion uint64 // highest version applied
}

// Syncer applies a store's tenants to a resolver.
type Syncer struct {
	store  tenantconfig.Store
	target Target
	opt    options
	log    *slog.Logger

	mu      sync.Mutex
	pending map[string]tenantconfig.Event // coalesced announcements
	resync  bool
	wake    chan struct{}

	// Owned by the run goroutine (and Start before it).
	known   map[string]uint64 // tenant → version applied (or deleted at)
	present map[string]bool   // tenants currently set on the target

	stats struct {
		tenants                                          atomic.Int64
		applied, refused, stale, resyncs, empty, lastVer atomic.Uint64
	}
	stopWatch func()
	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

// Start subscribes (when the store is a [tenantconfig.Watcher]), loads the
// snapshot into target, runs the hooks and keeps target in step until
// Close. A bad option fails Start before anything is done.
func Start(ctx context.Context, store tenantconfig.Store, target Target, opts ...Option) (*Syncer, error) {
	if store == nil || target == nil {
		return nil, errors.New("tenantsync: nil store or target")
	}
	opt, err := newOptions(store, opts)
	if err != nil {
		return nil, err
	}
	s := &Syncer{
		store: store, target: target, opt: opt, log: opt.logger,
		pending: map[string]tenantconfig.Event{}, wake: make(chan struct{}, 1),
		known: map[string]uint64{}, present: map[string]bool{}, done: make(chan struct{}),
	}
	if w, ok := store.(tenantconfig.Watcher); ok {
		stop, err := w.Watch(ctx, s.announce, s.requestResync)
		if err != nil {
			return nil, fmt.Errorf("tenantsync: watch %s: %w", opt.name, err)
		}
		s.stopWatch = stop
	}
	snap, err := store.Snapshot(ctx)
	undecodable, err := undecodableOf(err)
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("tenantsync: load %s: %w", opt.name, err)
	}
	if len(snap) == 0 && len(undecodable) == 0 && !opt.allowEmpty {
		s.stop()
		return nil, emptyStoreError(opt.name)
	}
	s.applySnapshot(ctx, snap, undecodable)
	for i, h := range opt.hooks {
		if err := h(ctx); err != nil {
			s.stop()
			// Leave the target as it was found.
			for id := range s.present {
				_ = target.Remove(ctx, id)
			}
			return nil, fmt.Errorf("tenantsync: hook %d: %w", i, err)
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	go s.run(runCtx)
	return s, nil
}

// announce queues an announcement, folding it into one waiting for the
// same tenant.
func (s *Syncer) announce(e tenantconfig.Event) {
	s.mu.Lock()
	if old, ok := s.pending[e.Tenant]; !ok || e.Version > old.Version {
		s.pending[e.Tenant] = e
	}
	s.mu.Unlock()
	s.poke()
}

func (s *Syncer) requestResync() {
	s.mu.Lock()
	s.resync = true
	s.mu.Unlock()
	s.poke()
}

func (s *Syncer) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Syncer) run(ctx context.Context) {
	defer close(s.done)
	var tick <-chan time.Time // nil: no periodic resync
	if s.opt.resyncInterval > 0 {
		t := time.NewTicker(s.opt.resyncInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			s.requestResync()
		case <-s.wake:
		}
		s.mu.Lock()
		pending, resync := s.pending, s.resync
		s.pending, s.resync = map[string]tenantconfig.Event{}, false
		s.mu.Unlock()
		if resync {
			snap, err := s.store.Snapshot(ctx)
			undecodable, err := undecodableOf(err)
			if err != nil {
				s.log.LogAttrs(ctx, slog.LevelWarn, "resync failed, will retry",
					slog.String("store", s.opt.name), slog.String("error", err.Error()))
				time.AfterFunc(time.Second, s.requestResync)
			} else {
				s.applySnapshot(ctx, snap, undecodable)
			}
		}
		s.applyEvents(ctx, pending)
	}
}

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

// applySnapshot makes the target hold the snapshot's tenants. A snapshot
// is read from the store as it is now, so it is never older than what
// was applied: a version lower than the applied one means the store went
// back (it lost data), and the snapshot wins. Tenants whose configs do
// not decode are left as they are.
func (s *Syncer) applySnapshot(ctx context.Context, snap map[string]tenantconfig.Record, undecodable map[string]bool) {
	s.stats.resyncs.Add(1)
	for id := range undecodable {
		s.refuse(ctx, id, 0, errors.New("its config does not decode"))
	}
	if len(snap) == 0 && len(undecodable) == 0 && len(s.present) > 0 && !s.reallyEmpty(ctx) {
		s.stats.empty.Add(1)
		s.log.LogAttrs(ctx, slog.LevelError, "the config store is empty: keeping the tenants already known; if it restarted without persistence, load the tenants again",
			slog.String("store", s.opt.name), slog.Int("tenants_kept", len(s.present)))
		// Whatever the store holds next starts its versions again.
		clear(s.known)
		return
	}
	for _, id := range sortedKeys(snap) {
		rec := snap[id]
		if rec.Version != s.known[id] {
			s.put(ctx, id, rec, rec.Version < s.known[id])
		}
	}
	for id := range s.present {
		if _, ok := snap[id]; !ok && !undecodable[id] {
			s.remove(ctx, id, 0)
		}
	}
}

// reallyEmpty tells an emptied store (every tenant removed: its revision
// is at least the last version applied) from a store that lost its data.
// Without a revision, an empty store is taken for one that lost its data.
func (s *Syncer) reallyEmpty(ctx context.Context) bool {
	r, ok := s.store.(tenantconfig.Reviser)
	if !ok {
		return false
	}
	rev, err := r.Revision(ctx)
	return err == nil && rev > 0 && rev >= s.stats.lastVer.Load()
}

func (s *Syncer) applyEvents(ctx context.Context, pending map[string]tenantconfig.Event) {
	for _, id := range sortedKeys(pending) {
		e := pending[id]
		switch known := s.known[id]; {
		case e.Version == known:
			continue // a duplicate
		case e.Version < known:
			// Older than what was applied: reordered, or the store went
			// back. A resync tells which.
			s.stats.stale.Add(1)
			s.requestResync()
			continue
		}
		if e.Deleted {
			s.remove(ctx, id, e.Version)
			continue
		}
		rec, err := s.store.Get(ctx, id)
		switch {
		case errors.Is(err, tenant.ErrUnknown):
			s.remove(ctx, id, e.Version) // removed since: its announcement follows
		case err != nil:
			s.log.LogAttrs(ctx, slog.LevelWarn, "reading an announced tenant failed, resyncing",
				slog.String("tenant", id), slog.String("error", err.Error()))
			s.requestResync()
		default:
			s.put(ctx, id, rec, false)
		}
	}
}

// put applies a record unless an equal or newer one was applied, or,
// with force, whatever was applied (the store went back).
func (s *Syncer) put(ctx context.Context, id string, rec tenantconfig.Record, force bool) {
	if !force && rec.Version <= s.known[id] {
		if rec.Version < s.known[id] {
			s.stats.stale.Add(1)
		}
		return
	}
	db, ok := rec.Config.Database(s.opt.orm, s.opt.alias)
	if !ok {
		s.refuse(ctx, id, rec.Version, fmt.Errorf("no orm_config.%s.%s", s.opt.orm, s.opt.alias))
		return
	}
	db.Version = rec.Version
	if force {
		db.Version = 0 // unversioned: replaces the resolver's newer version
	}
	actx, cancel := s.opt.applyContext(ctx)
	defer cancel()
	if v, ok := s.target.(Verifier); ok && s.present[id] {
		// A change to a serving tenant must reach databases that answer;
		// otherwise the tenant stays on its last good config. (With an
		// open pool the resolver pings anyway; this covers idle ones.)
		if err := v.Verify(actx, db); err != nil {
			s.refuse(ctx, id, rec.Version, err)
			return
		}
	}
	err := s.target.Set(actx, id, db)
	if errors.Is(err, resolver.ErrStaleConfig) {
		// The target holds a newer version than the store now has: the
		// store went back (it lost data). The store is the truth.
		db.Version = 0
		err = s.target.Set(actx, id, db)
	}
	if err != nil {
		s.refuse(ctx, id, rec.Version, err)
		return
	}
	s.known[id] = rec.Version
	if !s.present[id] {
		s.present[id] = true
		s.stats.tenants.Add(1)
	}
	s.stats.applied.Add(1)
	s.bump(rec.Version)
}

func (s *Syncer) remove(ctx context.Context, id string, version uint64) {
	if version > s.known[id] {
		s.known[id] = version
		s.bump(version)
	}
	if !s.present[id] {
		return
	}
	if err := s.target.Remove(ctx, id); err != nil && !errors.Is(err, tenant.ErrUnknown) {
		s.log.LogAttrs(ctx, slog.LevelWarn, "removing a tenant failed", slog.String("tenant", id), slog.String("error", err.Error()))
	}
	delete(s.present, id)
	s.stats.tenants.Add(-1)
	s.stats.applied.Add(1)
}

func (s *Syncer) refuse(ctx context.Context, id string, version uint64, err error) {
	s.stats.refused.Add(1)
	s.log.LogAttrs(ctx, slog.LevelWarn, "tenant change refused, keeping its last good config",
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

// Stats returns what the Syncer did so far.
func (s *Syncer) Stats() Stats {
	return Stats{
		Tenants: int(s.stats.tenants.Load()), Applied: s.stats.applied.Load(), Refused: s.stats.refused.Load(),
		Stale: s.stats.stale.Load(), Resyncs: s.stats.resyncs.Load(), EmptyStore: s.stats.empty.Load(),
		LastVersion: s.stats.lastVer.Load(),
	}
}

// Resync asks for a full resync now.
func (s *Syncer) Resync() { s.requestResync() }

// Close stops watching and applying, and waits for both. A second Close
// does nothing and returns nil.
func (s *Syncer) Close() error {
	s.closeOnce.Do(s.stop)
	return nil
}

func (s *Syncer) stop() {
	if s.stopWatch != nil {
		s.stopWatch()
		s.stopWatch = nil
	}
	if s.cancel != nil {
		s.cancel()
		<-s.done
		s.cancel = nil
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
