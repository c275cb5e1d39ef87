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
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// ErrEmptyStore is returned by Start and Load when the store holds no
// tenant and WithAllowEmpty is not given.
var ErrEmptyStore = errors.New("tenantsync: the store holds no tenant")

// Target is what a Syncer changes: [*resolver.Resolver], or a wrapper
// around one. A Target that also implements [Verifier] has each change to
// a serving tenant checked before it is applied. A wrapper that embeds
// *resolver.Resolver keeps the check (the resolver's Verify is
// promoted); a wrapper that holds the resolver in a named field must
// forward Verify itself, or it loses the check, and a change to an idle
// tenant's databases is then applied whether they answer or not.
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
	Tenants    int    // tenants applied and not removed
	Applied    uint64 // changes applied (set or removed)
	Refused    uint64 // changes refused (bad config, unreachable database)
	Stale      uint64 // announcements overtaken by a later change when read
	StaleReads uint64 // records read older than their announcement (a lagging replica): not applied, a resync follows
	Resyncs    uint64 // full resyncs
	// EmptyStore counts resyncs that found the store had lost its data
	// while tenants were known: empty, or written again since (another
	// epoch, its revision below the newest version applied). The tenants
	// it no longer holds were kept.
	EmptyStore  uint64
	LastVersion uint64 // highest version applied
	// Corrected counts tenants set again because the store's history was
	// rewritten: its record has the version applied with other content,
	// or a lower version (a failover lost acknowledged writes, or the
	// store lost its data).
	Corrected uint64
}

// Syncer applies a store's tenants to a resolver.
type Syncer struct {
	store  tenantconfig.Store
	target Target
	opt    options
	log    *slog.Logger

	mu      sync.Mutex
	pending map[string]tenantconfig.Event // coalesced announcements
	arrived map[string]time.Time          // their arrival, for WithEventLag
	resync  bool
	full    bool // the resync asked for reads every record
	wake    chan struct{}

	// Owned by the run goroutine (and Start before it): tenant → the
	// database set on the target, with the store's version of it. A
	// removed tenant is forgotten.
	applied map[string]tenantconfig.Database
	// told[i] is the config given to opt.configTargets[i], per tenant.
	told []map[string]tenantconfig.Config
	// For a tenantconfig.Digester store (see digest.go): the Sum of each
	// record read, digest the XOR of those the targets hold, okSums
	// their number, gen the current scan.
	sums   map[string]heldSum
	digest tenantconfig.Sum
	okSums int
	gen    uint32
	// batch counts the boot or resync under way; nil between them.
	batch *batch
	// preset holds the outcome of the Set of each new tenant of the
	// chunk being applied, when they were set together (see parallel.go).
	preset map[string]error
	// shared, while a run of puts collects them (see shared.go), holds
	// the tenants refused for a database another tenant held.
	shared     []sharedRefusal
	collecting bool
	// waiting: the tenants refused for a shared database, and their
	// versions, put again (requeueWaiting) once a later run freed one;
	// freed: a tenant was applied or removed since the last requeue.
	waiting map[string]uint64
	freed   bool
	// epoch is the store's (tenantconfig.Digest.Epoch) as last resynced;
	// recreated: the store being resynced lost all its data and was
	// written again, so the tenants it lacks are kept, and named in
	// kept.
	// highWater: the store's revision when a resync last took it as it
	// is (one that did not find it recreated), or the newest version
	// applied or removed since if higher.
	// from: the store's digest when the resync under way began; nil
	// between resyncs.
	from      *tenantconfig.Digest
	epoch     string
	recreated bool
	kept      []string
	highWater uint64

	stats struct {
		tenants                                                                 atomic.Int64
		applied, refused, stale, staleReads, resyncs, empty, lastVer, corrected atomic.Uint64
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
		applied: map[string]tenantconfig.Database{}, sums: map[string]heldSum{}, done: make(chan struct{}),
		waiting: map[string]uint64{},
		told:    make([]map[string]tenantconfig.Config, len(opt.configTargets)),
	}
	for i := range s.told {
		s.told[i] = map[string]tenantconfig.Config{}
	}
	if w, ok := store.(tenantconfig.Watcher); ok {
		stop, err := w.Watch(ctx, s.announce, s.requestResync)
		if err != nil {
			return nil, fmt.Errorf("tenantsync: watch %s: %w", opt.name, err)
		}
		s.stopWatch = stop
	}
	// A boot or a hook that failed, or panicked (a caller may recover),
	// set some tenants: nobody would follow them, nor stop the watch.
	started := false
	defer func() {
		if !started {
			s.abandon(ctx)
		}
	}()
	if err := s.boot(ctx); err != nil {
		return nil, err
	}
	for i, h := range opt.hooks {
		if err := h(ctx); err != nil {
			return nil, fmt.Errorf("tenantsync: hook %d: %w", i, err)
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	go s.run(runCtx)
	started = true
	return s, nil
}

// abandon stops a Syncer that failed to start and leaves the target and
// the config targets as Start found them.
func (s *Syncer) abandon(ctx context.Context) {
	s.stop()
	ctx = context.WithoutCancel(ctx) // the caller's context may be what ended the boot
	for id := range s.applied {
		_ = s.target.Remove(ctx, id)
		s.forgetConfig(ctx, id)
	}
}

// boot loads the store's tenants into the target: in chunks from a
// tenantconfig.Digester, else from one snapshot. A store with no tenant
// fails it unless WithAllowEmpty.
func (s *Syncer) boot(ctx context.Context) error {
	if d, ok := s.store.(tenantconfig.Digester); ok {
		found, err := s.resyncDigest(ctx, d, true, false)
		if err != nil {
			return fmt.Errorf("tenantsync: load %s: %w", s.opt.name, err)
		}
		if found == 0 && !s.opt.allowEmpty {
			return emptyStoreError(s.opt.name)
		}
		return nil
	}
	snap, err := s.store.Snapshot(ctx)
	undecodable, err := undecodableOf(err)
	if err != nil {
		return fmt.Errorf("tenantsync: load %s: %w", s.opt.name, err)
	}
	if len(snap) == 0 && len(undecodable) == 0 && !s.opt.allowEmpty {
		return emptyStoreError(s.opt.name)
	}
	s.applySnapshot(ctx, snap, undecodable, true)
	return nil
}

// resyncNow makes the target hold the store's tenants: from the digest
// and the records that differ for a tenantconfig.Digester (every record
// when full), else from a snapshot.
func (s *Syncer) resyncNow(ctx context.Context, full bool) error {
	if d, ok := s.store.(tenantconfig.Digester); ok {
		_, err := s.resyncDigest(ctx, d, false, full)
		return err
	}
	snap, err := s.store.Snapshot(ctx)
	undecodable, err := undecodableOf(err)
	if err != nil {
		return err
	}
	s.applySnapshot(ctx, snap, undecodable, false)
	return nil
}

// announce queues an announcement, folding it into one waiting for the
// same tenant.
func (s *Syncer) announce(e tenantconfig.Event) {
	s.mu.Lock()
	if old, ok := s.pending[e.Tenant]; !ok || e.Version > old.Version {
		s.pending[e.Tenant] = e
	}
	s.arrivedLocked(e.Tenant)
	s.mu.Unlock()
	s.poke()
}

func (s *Syncer) requestResync() {
	s.mu.Lock()
	s.resync = true
	s.mu.Unlock()
	s.poke()
}

// requestFullResync asks for a resync that reads every record.
func (s *Syncer) requestFullResync() {
	s.mu.Lock()
	s.resync, s.full = true, true
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
	lastFull := time.Now()     // the boot read every record
	var retry <-chan time.Time // a failed resync's retry, nil when none waits
	retryFull := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-retry:
			retry = nil
			if retryFull {
				s.requestFullResync()
			} else {
				s.requestResync()
			}
		case <-tick:
			if s.opt.fullCheck > 0 && time.Since(lastFull) >= s.opt.fullCheck {
				s.requestFullResync()
			} else {
				s.requestResync()
			}
		case <-s.wake:
		}
		s.mu.Lock()
		pending, resync, full, arrived := s.pending, s.resync, s.full, s.arrived
		s.pending, s.resync, s.full, s.arrived = map[string]tenantconfig.Event{}, false, false, nil
		s.mu.Unlock()
		// The announcements first: a resync may take long, and those
		// that arrive during it are applied between its chunks.
		s.applyEvents(ctx, pending, arrived)
		if resync {
			err := s.resyncNow(ctx, full)
			if err == nil && full {
				lastFull = time.Now()
			}
			if err != nil {
				s.log.LogAttrs(ctx, slog.LevelWarn, "resync failed, will retry",
					slog.String("store", s.opt.name), slog.String("error", err.Error()))
				retry, retryFull = time.After(time.Second), full
			}
		}
		s.requeueWaiting()
	}
}

// Stats returns what the Syncer did so far.
func (s *Syncer) Stats() Stats {
	return Stats{
		Tenants: int(s.stats.tenants.Load()), Applied: s.stats.applied.Load(), Refused: s.stats.refused.Load(),
		Stale: s.stats.stale.Load(), StaleReads: s.stats.staleReads.Load(), Resyncs: s.stats.resyncs.Load(), EmptyStore: s.stats.empty.Load(),
		LastVersion: s.stats.lastVer.Load(), Corrected: s.stats.corrected.Load(),
	}
}

// Resync asks for a full resync now. From a store that keeps a digest,
// it reads only the records whose Sums differ from those held.
func (s *Syncer) Resync() { s.requestResync() }

// ResyncFull asks for a full resync now that reads every record, even
// from a store whose digest says nothing changed: after records were
// edited by hand (see WithFullCheckInterval).
func (s *Syncer) ResyncFull() { s.requestFullResync() }

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
