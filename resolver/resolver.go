package resolver

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Resolver maps tenants to connection pools. It implements
// [tenantplugin.Resolver], [tenantplugin.ReplicaResolver] and
// [tenantplugin.DialectorResolver]. Create it with [New] and stop it
// with [Resolver.Close].
type Resolver struct {
	// What every statement's lease reads, side by side so that it reads
	// one cache line of the resolver's: the clock, and how many wait for
	// a pool to go idle.
	//
	// clock is the time since epoch, advanced by the janitor every
	// clockStep: the resolution of LRU order and idle timeouts.
	clock atomic.Int64
	// idleWaiters counts the waiters that a pool going idle may serve:
	// takeSlot calls (slotWaiters) and connections queued on any budget.
	idleWaiters atomic.Int32
	// withReplicas counts registered tenants that have read replicas
	// (HasReplicas, asked before each statement).
	withReplicas atomic.Int64

	cfg       Config
	drivers   map[string]dbdriver.Driver
	tmpl      dbdriver.Driver // as given; see driver for the one pools use
	dialect   dialectState
	budgets   budgets
	log       *slog.Logger
	epoch     time.Time
	clockStep time.Duration

	// mu guards tenants, and the cfg and removed fields of each
	// tenantState. A tenant's openMu is taken before mu, never while
	// holding it. A tenant's pool is stored under mu (and its openMu), so
	// that Remove, which does not take openMu, sees the pool to retire or
	// the opener sees removed.
	mu      sync.RWMutex
	tenants map[string]*tenantState
	// attached: a *gorm.DB uses the resolver (UseDialector succeeded).
	attached atomic.Bool
	// dbOwner: the tenant each database serves (tenantState.dbs).
	dbOwner map[string]string

	// capMu guards the set of live pools and the count of open ones. It
	// is never held together with mu.
	capMu sync.Mutex
	live  map[*pool]struct{} // open and not retired
	open  int                // open, retired or not, until closed
	// capFreed is closed and replaced when a pool closes, and when one
	// goes idle while slotWaiters > 0.
	capFreed chan struct{}
	// slotWaiters counts takeSlot calls waiting for a slot: a pool whose
	// last lease goes wakes them, so that they evict it.
	slotWaiters atomic.Int32

	// openFreed is closed and replaced when a tenant's openMu is
	// released while openWaiters > 0 (see lockOpen).
	openFreedMu sync.Mutex
	openFreed   chan struct{}
	openWaiters atomic.Int32

	// leaseMu guards leases, the Leases not yet released.
	leaseMu sync.Mutex
	leases  map[*Lease]struct{}

	closing sync.WaitGroup // pools being closed
	// closeCtx ends when Close is called: a Set's ping of its next pool
	// stops then, since Close waits for that pool's lease.
	closeCtx    context.Context
	cancelClose context.CancelFunc
	stop        chan struct{}
	done        chan struct{}
	closed      atomic.Bool

	opened, closedPools, evicted, swapped atomic.Uint64
}

// tenantState is one registered tenant: its config and its current pool.
type tenantState struct {
	pool atomic.Pointer[pool]

	id string
	// openMu serialises opening and swapping this tenant's pool: taken
	// with Resolver.lockOpen, which gives up when a context ends.
	openMu sync.Mutex
	// What the holder of openMu is doing, for the error of a lockOpen
	// that gives up: a Set pinging the next pool (changing), or any
	// holder waiting in takeSlot for a pool slot (slotWait, true from
	// when a takeSlot for the tenant waits until one gets a slot).
	changing atomic.Bool
	slotWait atomic.Bool
	cfg      tenantconfig.Database // guarded by Resolver.mu
	dbs      []string              // the databases cfg names; guarded by Resolver.mu
	removed  bool                  // guarded by Resolver.mu
}

func newTenantState(id string) *tenantState {
	return &tenantState{id: id}
}

// The clock's resolution: an eighth of IdleTimeout, within these bounds.
const (
	minClockStep = 5 * time.Millisecond
	maxClockStep = 500 * time.Millisecond
)

// New returns a resolver for cfg with no tenants, and starts the
// goroutine that closes idle pools; Close stops it.
func New(cfg Config) (*Resolver, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Resolver{
		cfg:       cfg,
		drivers:   make(map[string]dbdriver.Driver, len(cfg.Drivers)),
		log:       cfg.Logger,
		epoch:     time.Now(),
		tenants:   make(map[string]*tenantState),
		dbOwner:   make(map[string]string),
		live:      make(map[*pool]struct{}),
		capFreed:  make(chan struct{}),
		openFreed: make(chan struct{}),
		leases:    make(map[*Lease]struct{}),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	r.closeCtx, r.cancelClose = context.WithCancel(context.Background())
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
	r.budgets = budgets{
		perServer: cfg.MaxConnsPerServer > 0,
		max:       cfg.MaxConns,
		byServer:  serverKeys(cfg.ServerMaxConns),
		newBudget: func(limit int) *budget { return newBudget(limit, &r.clock, &r.idleWaiters, r.log) },
		m:         make(map[string]*budget),
	}
	if cfg.MaxConnsPerServer > 0 {
		r.budgets.max = cfg.MaxConnsPerServer
	}
	r.clockStep = maxClockStep
	if cfg.IdleTimeout > 0 {
		r.clockStep = min(max(cfg.IdleTimeout/8, minClockStep), maxClockStep)
	}
	r.tick()
	go r.janitor()
	return r, nil
}

// Close closes every tenant pool and stops the resolver's goroutine. It
// waits for work in flight to release its pools: finish or cancel it
// first. Statements end by themselves, and transactions at Commit,
// Rollback or when their context ends; a transaction whose context never
// ends and that is never ended keeps Close waiting. A Set still pinging
// a tenant's next databases is stopped (it returns an error). Close ends the
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
	pools := r.takeLiveLocked()
	r.capMu.Unlock()
	r.cancelClose()
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
	r.budgets.wait()
	return nil
}

// HasReplicas reports whether any registered tenant has read replicas
// ([tenantplugin.ReplicaResolver]).
func (r *Resolver) HasReplicas() bool { return r.withReplicas.Load() > 0 }

var (
	_ tenantplugin.ReplicaResolver   = (*Resolver)(nil)
	_ tenantplugin.DialectorResolver = (*Resolver)(nil)
)
