package resolver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/stmtcache"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Resolver maps tenants to connection pools. It implements
// tenantplugin.Resolver. Create it with New and stop it with Close.
type Resolver struct {
	cfg     Config
	drivers map[string]dbdriver.Driver
	tmpl    dbdriver.Driver // as given; see driver for the one pools use
	dialect dialectState
	budget  *budget
	log     *slog.Logger
	epoch   time.Time
	// clock is the time since epoch, advanced by the janitor every
	// clockStep: the resolution of LRU order and idle timeouts.
	clock     atomic.Int64
	clockStep time.Duration

	mu      sync.RWMutex
	tenants map[string]*tenantState

	// capMu guards the set of live pools and the count of open ones.
	capMu sync.Mutex
	live  map[*pool]struct{} // open and not retired
	open  int                // open, retired or not, until closed
	// capFreed is closed and replaced when a pool closes, and when one
	// goes idle while slotWaiters > 0.
	capFreed chan struct{}
	// slotWaiters counts takeSlot calls waiting for a slot: a pool whose
	// last lease goes wakes them, so that they evict it.
	slotWaiters atomic.Int32

	// leaseMu guards leases, the Leases not yet released.
	leaseMu sync.Mutex
	leases  map[*Lease]struct{}

	closing sync.WaitGroup // pools being closed
	stop    chan struct{}
	done    chan struct{}
	closed  atomic.Bool

	opened, closedPools, evicted, swapped atomic.Uint64
	// withReplicas counts registered tenants that have read replicas.
	withReplicas atomic.Int64
}

// tenantState is one registered tenant: its config and its current pool.
type tenantState struct {
	id string
	// openMu serialises opening and swapping this tenant's pool.
	openMu  sync.Mutex
	cfg     tenantconfig.Database // guarded by Resolver.mu
	removed bool                  // guarded by Resolver.mu
	pool    atomic.Pointer[pool]
}

// New returns a resolver for cfg with no tenants, and starts the
// goroutine that closes idle pools; Close stops it.
func New(cfg Config) (*Resolver, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Resolver{
		cfg:      cfg,
		drivers:  make(map[string]dbdriver.Driver, len(cfg.Drivers)),
		log:      cfg.Logger,
		epoch:    time.Now(),
		tenants:  make(map[string]*tenantState),
		live:     make(map[*pool]struct{}),
		capFreed: make(chan struct{}),
		leases:   make(map[*Lease]struct{}),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for i, d := range cfg.Drivers {
		if d == nil {
			return nil, fmt.Errorf("%w: Drivers[%d] is nil", ErrInvalidConfig, i)
		}
		r.drivers[d.Name()] = d
	}
	tmpl, ok := r.drivers[cfg.Template.Driver]
	if !ok {
		return nil, fmt.Errorf("%w: Template.Driver %q is not among Drivers", ErrInvalidConfig, cfg.Template.Driver)
	}
	r.tmpl = tmpl
	r.budget = newBudget(cfg.MaxConns, &r.clock, r.log)
	r.clockStep = min(max(cfg.IdleTimeout/8, 5*time.Millisecond), 500*time.Millisecond)
	r.tick()
	go r.janitor()
	return r, nil
}

// ConnPool implements tenantplugin.Resolver. It opens the tenant's pool
// on first use; afterwards it takes a read lock and two atomic loads.
func (r *Resolver) ConnPool(ctx context.Context, id string, access tenantplugin.Access) (gorm.ConnPool, error) {
	t, err := r.lookup(id)
	if err != nil {
		return nil, err
	}
	p := t.pool.Load()
	if p == nil || p.retired() {
		if p, err = r.openPool(ctx, t); err != nil {
			return nil, err
		}
	}
	return &p.handles[access&3], nil
}

func (r *Resolver) lookup(id string) (*tenantState, error) {
	if r.closed.Load() {
		return nil, ErrClosed
	}
	r.mu.RLock()
	t := r.tenants[id]
	r.mu.RUnlock()
	if t == nil {
		return nil, &tenant.Error{ID: id, Err: tenant.ErrUnknown}
	}
	return t, nil
}

// acquire leases the tenant's current pool, opening it if needed.
func (r *Resolver) acquire(ctx context.Context, id string) (*pool, error) {
	for range 8 {
		t, err := r.lookup(id)
		if err != nil {
			return nil, err
		}
		p := t.pool.Load()
		if p == nil || p.retired() {
			if p, err = r.openPool(ctx, t); err != nil {
				return nil, err
			}
		}
		if p.tryAcquire() {
			return p, nil
		}
		// Retired between open and lease: evicted under pressure. Retry.
	}
	return nil, fmt.Errorf("%w: tenant %q pool keeps being evicted", ErrPoolsExhausted, id)
}

// openPool opens the tenant's pool unless another goroutine just did.
func (r *Resolver) openPool(ctx context.Context, t *tenantState) (*pool, error) {
	t.openMu.Lock()
	defer t.openMu.Unlock()
	if p := t.pool.Load(); p != nil && !p.retired() {
		return p, nil
	}
	r.mu.RLock()
	cfg, removed := t.cfg, t.removed
	r.mu.RUnlock()
	if removed {
		return nil, &tenant.Error{ID: t.id, Err: tenant.ErrUnknown}
	}
	p, err := r.newPool(ctx, t.id, cfg)
	if err != nil {
		return nil, err
	}
	t.pool.Store(p)
	r.log.LogAttrs(ctx, slog.LevelInfo, "tenant pool opened",
		slog.String("tenant", t.id), slog.Uint64("version", cfg.Version))
	return p, nil
}

// newPool takes a slot under MaxPools and builds the tenant's pool. It
// does no I/O: connections open on first use.
func (r *Resolver) newPool(ctx context.Context, id string, cfg tenantconfig.Database) (*pool, error) {
	if err := r.takeSlot(ctx, id); err != nil {
		return nil, err
	}
	settings := r.dialect.drv.Load() // compared again below, under capMu
	p := &pool{r: r, tenant: id, version: cfg.Version}
	p.init()
	db, err := r.openDB(cfg.DataSource)
	if err != nil {
		r.giveSlot()
		return nil, err
	}
	p.primary, p.primaryStmt = db, stmtcache.New(db, r.cfg.StmtCacheSize)
	for i, rc := range cfg.Replicas {
		rdb, err := r.openDB(rc)
		if err != nil {
			_ = p.close()
			r.giveSlot()
			return nil, fmt.Errorf("replica %d: %w", i, err)
		}
		p.replicas = append(p.replicas, rdb)
		p.replicaStmt = append(p.replicaStmt, stmtcache.Pool{C: stmtcache.New(rdb, r.cfg.StmtCacheSize)})
	}
	p.lastUsed.Store(r.clock.Load())
	r.opened.Add(1)
	r.capMu.Lock()
	if r.closed.Load() {
		// Close ran while the pool was built: it is not in Close's list.
		r.capMu.Unlock()
		p.retire()
		return nil, ErrClosed
	}
	if r.dialect.drv.Load() != settings {
		// UseDialector ran while the pool was built, and did not see it:
		// build it again with the new settings.
		r.capMu.Unlock()
		p.retire()
		return r.newPool(ctx, id, cfg)
	}
	r.live[p] = struct{}{}
	r.capMu.Unlock()
	return p, nil
}

func (r *Resolver) openDB(c tenantconfig.DataSource) (*sql.DB, error) {
	conn, err := r.connector(c)
	if err != nil {
		return nil, err
	}
	ps := r.cfg.Template.Pool
	db := r.budget.open(conn, ps.MaxOpenConns, ps.MaxIdleConns)
	db.SetConnMaxLifetime(ps.ConnMaxLifetime)
	db.SetConnMaxIdleTime(ps.ConnMaxIdleTime)
	return db, nil
}

// connector checks c against the template's driver and builds its
// connector.
func (r *Resolver) connector(c tenantconfig.DataSource) (driver.Connector, error) {
	if c.Driver != "" && c.Driver != r.tmpl.Name() {
		return nil, fmt.Errorf("%w: driver %q, but this resolver's template uses %q (all tenants of one *gorm.DB share its dialect)",
			ErrInvalidConfig, c.Driver, r.tmpl.Name())
	}
	fields := c.Host != "" || c.Name != "" || c.Port != 0 || c.User != "" || c.Password != "" || len(c.Params) > 0
	switch {
	case c.DSN == "" && !fields:
		return nil, fmt.Errorf("%w: no dsn and no field to merge over the template", ErrInvalidConfig)
	case c.DSN != "" && fields:
		return nil, fmt.Errorf("%w: a dsn and fields: the fields would be ignored", ErrInvalidConfig)
	}
	conn, err := r.driver().Connector(r.cfg.Template.DSN, c)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return conn, nil
}

// takeSlot counts a new pool against MaxPools, closing the least
// recently used idle pool, or waiting for one to close or to go idle,
// while the cap is reached.
func (r *Resolver) takeSlot(ctx context.Context, id string) error {
	for {
		r.capMu.Lock()
		if r.closed.Load() {
			r.capMu.Unlock()
			return ErrClosed
		}
		if r.open < r.cfg.MaxPools {
			r.open++
			r.capMu.Unlock()
			return nil
		}
		// Counted before looking for an idle pool: a pool whose last lease
		// goes after the look sees the count and wakes this waiter.
		r.slotWaiters.Add(1)
		freed := r.capFreed
		victim := r.lruIdleLocked()
		r.capMu.Unlock()
		if victim != nil {
			r.evict(victim, "pool cap")
		}
		var err error
		select {
		case <-freed:
		case <-ctx.Done():
			err = fmt.Errorf("%w: tenant %q waited for one of %d pools: %w", ErrPoolsExhausted, id, r.cfg.MaxPools, ctx.Err())
		}
		r.slotWaiters.Add(-1)
		if err != nil {
			return err
		}
	}
}

// wakeSlotWaiters wakes the takeSlot calls waiting for a slot: a pool
// went idle, and they may evict it.
func (r *Resolver) wakeSlotWaiters() {
	r.capMu.Lock()
	r.notifyLocked()
	r.capMu.Unlock()
}

// giveSlot undoes takeSlot for a pool that failed to build.
func (r *Resolver) giveSlot() {
	r.capMu.Lock()
	r.open--
	r.notifyLocked()
	r.capMu.Unlock()
}

// notifyLocked wakes the takeSlot and Close calls waiting for a pool
// slot. r.capMu must be held.
func (r *Resolver) notifyLocked() {
	close(r.capFreed)
	r.capFreed = make(chan struct{})
}

// lruIdleLocked removes and returns the least recently used live pool
// that nobody leases, or nil.
func (r *Resolver) lruIdleLocked() *pool {
	var victim *pool
	for p := range r.live {
		if p.inUse() {
			continue
		}
		if victim == nil || p.lastUsed.Load() < victim.lastUsed.Load() {
			victim = p
		}
	}
	if victim != nil {
		delete(r.live, victim)
	}
	return victim
}

func (r *Resolver) evict(p *pool, why string) {
	if p.retire() {
		r.evicted.Add(1)
		r.log.LogAttrs(context.Background(), slog.LevelInfo, "tenant pool evicted",
			slog.String("tenant", p.tenant), slog.String("reason", why))
	}
}

// retire takes p out of service: it closes once its leases are released.
func (r *Resolver) retire(p *pool) {
	r.capMu.Lock()
	delete(r.live, p)
	r.capMu.Unlock()
	p.retire()
}

// closeAsync closes p in a goroutine of the resolver's, so that closing
// never blocks a request or a lock.
func (r *Resolver) closeAsync(p *pool) {
	r.closing.Add(1)
	go func() {
		defer r.closing.Done()
		err := p.close()
		r.capMu.Lock()
		delete(r.live, p)
		r.open--
		r.notifyLocked()
		r.capMu.Unlock()
		r.closedPools.Add(1)
		attrs := []slog.Attr{slog.String("tenant", p.tenant), slog.Uint64("version", p.version)}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		r.log.LogAttrs(context.Background(), slog.LevelDebug, "tenant pool closed", attrs...)
	}()
}

// janitor advances the clock and closes pools left idle for
// IdleTimeout.
func (r *Resolver) janitor() {
	defer close(r.done)
	tick := time.NewTicker(r.clockStep)
	defer tick.Stop()
	var lastScan int64
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
			r.tick()
			if r.clock.Load()-lastScan < int64(r.cfg.IdleTimeout/4) {
				continue
			}
			lastScan = r.clock.Load()
			limit := r.clock.Load() - int64(r.cfg.IdleTimeout)
			var idle []*pool
			r.capMu.Lock()
			for p := range r.live {
				if !p.inUse() && p.lastUsed.Load() < limit {
					delete(r.live, p)
					idle = append(idle, p)
				}
			}
			r.capMu.Unlock()
			for _, p := range idle {
				r.evict(p, "idle")
			}
		}
	}
}

// Set registers the tenant id with cfg, or changes its config. When the
// tenant's pool is open, the new databases are opened and pinged first:
// if that fails, Set returns the error and the tenant stays on its old
// config. Otherwise new work goes to the new pool at once, while work in
// flight (transactions, running queries) finishes on the old one, which
// then closes. A config equal to the current one changes nothing; one
// with an older Version returns ErrStaleConfig.
func (r *Resolver) Set(ctx context.Context, id string, cfg tenantconfig.Database) error {
	if err := tenant.ValidateID(id); err != nil {
		return err
	}
	if r.closed.Load() {
		return ErrClosed
	}
	if err := r.check(cfg); err != nil {
		return &tenant.Error{ID: id, Err: err}
	}
	for {
		if done, err := r.set(ctx, id, cfg); done {
			return err
		}
	}
}

// set applies a checked config. It returns false when the tenant was
// removed while it waited: Set then starts again.
func (r *Resolver) set(ctx context.Context, id string, cfg tenantconfig.Database) (bool, error) {
	r.mu.Lock()
	t := r.tenants[id]
	if t == nil {
		t = &tenantState{id: id}
		r.setCfgLocked(t, cfg)
		r.tenants[id] = t
		r.mu.Unlock()
		r.log.LogAttrs(ctx, slog.LevelInfo, "tenant added", slog.String("tenant", id), slog.Uint64("version", cfg.Version))
		return true, nil
	}
	r.mu.Unlock()

	t.openMu.Lock()
	defer t.openMu.Unlock()
	r.mu.Lock()
	cur := t.cfg
	switch {
	case t.removed:
		r.mu.Unlock()
		return false, nil
	case cfg.Version != 0 && cfg.Version < cur.Version:
		r.mu.Unlock()
		return true, &tenant.Error{ID: id, Err: fmt.Errorf("%w: have %d, got %d", ErrStaleConfig, cur.Version, cfg.Version)}
	case cfg.Equal(cur):
		if cfg.Version == 0 {
			t.cfg.Version = 0 // unversioned: later versions apply again
		} else {
			t.cfg.Version = max(cur.Version, cfg.Version)
		}
		r.mu.Unlock()
		return true, nil
	}
	old := t.pool.Load()
	if old == nil || old.retired() {
		r.setCfgLocked(t, cfg)
		r.mu.Unlock()
		r.log.LogAttrs(ctx, slog.LevelInfo, "tenant changed", slog.String("tenant", id), slog.Uint64("version", cfg.Version))
		return true, nil
	}
	r.mu.Unlock()

	next, err := r.newPool(ctx, id, cfg)
	if err == nil {
		if err = next.ping(ctx); err != nil {
			r.retire(next)
		}
	}
	if err != nil {
		// The caller reports it (tenantsync logs and counts refusals).
		return true, &tenant.Error{ID: id, Err: err}
	}
	r.mu.Lock()
	r.setCfgLocked(t, cfg)
	r.mu.Unlock()
	t.pool.Store(next)
	r.retire(old)
	r.swapped.Add(1)
	r.log.LogAttrs(ctx, slog.LevelInfo, "tenant pool swapped", slog.String("tenant", id), slog.Uint64("version", cfg.Version))
	return true, nil
}

// Verify opens cfg's databases with one connection each, pings them and
// closes them: it tells whether a config can serve before it is applied.
// The connections count against the connection budget.
func (r *Resolver) Verify(ctx context.Context, cfg tenantconfig.Database) error {
	if err := r.check(cfg); err != nil {
		return err
	}
	dbs := append([]tenantconfig.DataSource{cfg.DataSource}, cfg.Replicas...)
	for i, c := range dbs {
		db, err := r.openDB(c)
		if err != nil {
			return err
		}
		db.SetMaxOpenConns(1)
		err = db.PingContext(ctx)
		_ = db.Close()
		if err != nil {
			if i == 0 {
				return fmt.Errorf("ping primary: %w", err)
			}
			return fmt.Errorf("ping replica %d: %w", i-1, err)
		}
	}
	return nil
}

// check validates a config without opening anything.
func (r *Resolver) check(cfg tenantconfig.Database) error {
	if _, err := r.connector(cfg.DataSource); err != nil {
		return err
	}
	for i, rc := range cfg.Replicas {
		if _, err := r.connector(rc); err != nil {
			return fmt.Errorf("replica %d: %w", i, err)
		}
	}
	return nil
}

func (p *pool) ping(ctx context.Context) error {
	if err := p.primary.PingContext(ctx); err != nil {
		return fmt.Errorf("ping primary: %w", err)
	}
	for i, c := range p.replicas {
		if err := c.(*sql.DB).PingContext(ctx); err != nil {
			return fmt.Errorf("ping replica %d: %w", i, err)
		}
	}
	return nil
}

// Remove unregisters the tenant: new work gets
// tenant.ErrUnknown, work in flight finishes, and the pool
// closes. Removing an unknown tenant returns an error wrapping
// tenant.ErrUnknown.
func (r *Resolver) Remove(ctx context.Context, id string) error {
	r.mu.Lock()
	t := r.tenants[id]
	if t == nil {
		r.mu.Unlock()
		return &tenant.Error{ID: id, Err: tenant.ErrUnknown}
	}
	delete(r.tenants, id)
	r.setCfgLocked(t, tenantconfig.Database{})
	t.removed = true
	r.mu.Unlock()
	t.openMu.Lock()
	if p := t.pool.Load(); p != nil {
		r.retire(p)
	}
	t.openMu.Unlock()
	r.log.LogAttrs(ctx, slog.LevelInfo, "tenant removed", slog.String("tenant", id))
	return nil
}

// Tenants returns the registered tenant ids, in no order.
func (r *Resolver) Tenants() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := make([]string, 0, len(r.tenants))
	for id := range r.tenants {
		ids = append(ids, id)
	}
	return ids
}

// Has reports whether the tenant is registered.
func (r *Resolver) Has(id string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.tenants[id]
	return ok
}

// Database returns the tenant's current config.
func (r *Resolver) Database(id string) (tenantconfig.Database, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t := r.tenants[id]
	if t == nil {
		return tenantconfig.Database{}, false
	}
	return t.cfg, true
}

// Close closes every tenant pool and stops the resolver's goroutine. It
// waits for work in flight to release its pools: finish or cancel it
// first. Statements end by themselves, and transactions at Commit,
// Rollback or when their context ends; a transaction whose context never
// ends and that is never ended keeps Close waiting. Close ends the
// [Lease] values still held instead of waiting for them: their *sql.DB
// closes (running queries finish, new ones fail). The resolver answers
// ErrClosed afterwards. Close is idempotent: a second call returns nil
// at once, without waiting for the first to finish.
func (r *Resolver) Close() error {
	r.capMu.Lock()
	if !r.closed.CompareAndSwap(false, true) {
		r.capMu.Unlock()
		return nil
	}
	pools := make([]*pool, 0, len(r.live))
	for p := range r.live {
		pools = append(pools, p)
	}
	clear(r.live)
	r.capMu.Unlock()
	close(r.stop)
	<-r.done
	for _, p := range pools {
		p.retire()
	}
	r.endLeases()
	for {
		r.capMu.Lock()
		open, freed := r.open, r.capFreed
		r.capMu.Unlock()
		if open == 0 {
			break
		}
		<-freed
	}
	r.closing.Wait()
	r.budget.wait()
	return nil
}

// HasReplicas reports whether any registered tenant has read replicas
// ([tenantplugin.ReplicaResolver]).
func (r *Resolver) HasReplicas() bool { return r.withReplicas.Load() > 0 }

// setCfgLocked replaces a tenant's config, keeping the replica count.
// r.mu must be held.
func (r *Resolver) setCfgLocked(t *tenantState, cfg tenantconfig.Database) {
	r.withReplicas.Add(int64(min(len(cfg.Replicas), 1) - min(len(t.cfg.Replicas), 1)))
	t.cfg = cfg
}

var (
	_ tenantplugin.ReplicaResolver   = (*Resolver)(nil)
	_ tenantplugin.DialectorResolver = (*Resolver)(nil)
)
