package resolver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/sqlerr"
	"github.com/tenantrouter/tenantplugin/internal/stmtcache"
	"github.com/tenantrouter/tenantplugin/internal/tenantctx"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// retiredBit marks a pool that takes no new leases: it closes when its
// last lease is released.
const retiredBit = int64(1) << 62

// pool is one version of a tenant's databases: a primary and its
// replicas, each with its own statement cache. Work leases it for the
// duration of each call (or of a transaction); a retired pool closes when
// no lease is left, off every lock.
//
// The fields each statement reads come first, so that they share a
// cache line, and its handle is on the next: a statement finds them out
// of the CPU's caches (a request's other work came between), and each
// line costs.
type pool struct {
	// What a statement reads, in one cache line (64 bytes): the lease
	// count, the memo it is found by (ConnPool) and the *sql.DB.
	refs     atomic.Int64
	lastUsed atomic.Int64 // r.clock when last leased
	r        *Resolver
	primary  *sql.DB
	// memo is what ConnPool stores in a tenant's context (tenantctx):
	// this pool, owned by its resolver. It is trusted while the pool is
	// not retired.
	memo tenantctx.Memo

	handles [4]handle // by tenantplugin.Access

	// primaryStmt is nil when StmtCacheSize is -1 or when one of the
	// pool's databases is unprepared (dbdriver.UnpreparedConnector).
	primaryStmt *stmtcache.Cache
	budgets     []*budget // of the servers of primary and replicas

	tenant      string
	version     uint64
	replicas    []gorm.ConnPool // *sql.DB
	replicaStmt []gorm.ConnPool // stmtcache.Pool; empty when primaryStmt is nil
}

func (p *pool) init() {
	p.memo = tenantctx.Memo{Owner: p.r, State: p}
	for i := range p.handles {
		p.handles[i] = handle{p: p, access: tenantplugin.Access(i)}
	}
}

// tryAcquire takes a lease unless the pool is retired.
func (p *pool) tryAcquire() bool {
	for {
		n := p.refs.Load()
		if n&retiredBit != 0 {
			return false
		}
		if p.refs.CompareAndSwap(n, n+1) {
			if now := p.r.clock.Load(); p.lastUsed.Load() != now {
				p.lastUsed.Store(now)
			}
			return true
		}
	}
}

// release gives a lease back, closing a retired pool on the last one.
func (p *pool) release() {
	switch p.refs.Add(-1) {
	case retiredBit:
		p.r.closeAsync(p)
	case 0:
		// Idle now: a connection waiting for the budget may take one of
		// its connections, and an opener waiting for a pool slot may
		// evict it. One look tells whether anyone waits at all.
		if p.r.idleWaiters.Load() == 0 {
			return
		}
		for _, b := range p.budgets {
			b.poke()
		}
		if p.r.slotWaiters.Load() != 0 {
			p.r.wakeSlotWaiters()
		}
	}
}

// retire stops new leases; the pool closes when the last lease is
// released, or now when there is none. It reports whether this call
// retired the pool.
func (p *pool) retire() bool {
	old := p.refs.Or(retiredBit)
	if old&retiredBit != 0 {
		return false
	}
	if old == 0 {
		p.r.closeAsync(p)
	}
	return true
}

func (p *pool) retired() bool { return p.refs.Load()&retiredBit != 0 }

func (p *pool) inUse() bool { return p.refs.Load()&^retiredBit != 0 }

// conn returns the physical pool for access. Without statement caches,
// prepared access gets the plain pools.
func (p *pool) conn(access tenantplugin.Access) gorm.ConnPool {
	prepared := access&tenantplugin.AccessPrepared != 0 && p.primaryStmt != nil
	if access&tenantplugin.AccessRead != 0 && len(p.replicas) > 0 {
		var c gorm.ConnPool
		if prepared {
			c = p.r.cfg.Policy.Resolve(p.replicaStmt)
		} else {
			c = p.r.cfg.Policy.Resolve(p.replicas)
		}
		if c != nil {
			return c
		}
	}
	if prepared {
		return stmtcache.Pool{C: p.primaryStmt}
	}
	return p.primary
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

func (p *pool) close() error {
	var errs []error
	if p.primaryStmt != nil {
		errs = append(errs, p.primaryStmt.Close())
	}
	for _, c := range p.replicaStmt {
		errs = append(errs, c.(stmtcache.Pool).C.Close())
	}
	errs = append(errs, p.primary.Close())
	for _, c := range p.replicas {
		errs = append(errs, c.(*sql.DB).Close())
	}
	return errors.Join(errs...)
}

// handle is what the plugin installs on a statement: a tenant's pool for
// one kind of access. Each call leases the pool it was made from, or the
// tenant's current pool when that one has been retired since, so that a
// config change or an eviction never fails work in flight.
type handle struct {
	p      *pool
	access tenantplugin.Access
}

func (h *handle) lease(ctx context.Context) (*pool, error) {
	if h.p.tryAcquire() {
		return h.p, nil
	}
	return h.p.r.acquire(ctx, h.p.tenant)
}

func (h *handle) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	p, err := h.lease(ctx)
	if err != nil {
		return nil, err
	}
	defer p.release()
	return p.conn(h.access).PrepareContext(ctx, query)
}

func (h *handle) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	p, err := h.lease(ctx)
	if err != nil {
		return nil, err
	}
	defer p.release()
	return p.conn(h.access).ExecContext(ctx, query, args...)
}

// QueryContext runs the query under a lease. The rows outlive the lease:
// they hold their own connection, which a closing pool lets finish.
func (h *handle) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	p, err := h.lease(ctx)
	if err != nil {
		return nil, err
	}
	defer p.release()
	return p.conn(h.access).QueryContext(ctx, query, args...)
}

func (h *handle) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	p, err := h.lease(ctx)
	if err != nil {
		return sqlerr.Row(ctx, err)
	}
	defer p.release()
	return p.conn(h.access).QueryRowContext(ctx, query, args...)
}

// BeginTx begins on the primary. The transaction holds its lease until
// Commit or Rollback, or until ctx ends: database/sql rolls the
// transaction back then, and callers may drop it without ending it.
func (h *handle) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	// A transaction is bound to one tenant for good: refuse one whose
	// context does not name this handle's tenant.
	if id, ok := tenant.FromContext(ctx); !ok || id != h.p.tenant {
		return nil, fmt.Errorf("%w: beginning a transaction on tenant %q's pool with a context for %q",
			tenantplugin.ErrCrossDatabase, h.p.tenant, id)
	}
	p, err := h.lease(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := p.beginTx(ctx, opts)
	if err != nil {
		p.release()
		return nil, err
	}
	return tx, nil
}

// GetDBConn refuses: db.DB() and db.Connection have no context to lease
// the pool with, and a tenant's *sql.DB handed out without a lease may
// serve another tenant's work, or close under its user. Resolver.Lease
// hands one out under a lease.
func (h *handle) GetDBConn() (*sql.DB, error) { return nil, unleasedDB(h.p.tenant) }

// unleasedDB is the error of GetDBConn on a tenant's pool or transaction.
func unleasedDB(id string) error {
	return &tenant.Error{ID: id, Err: fmt.Errorf(
		"%w: a tenant's *sql.DB is handed out only under a lease: use Resolver.Lease for it (db.DB() outside a transaction returns the central database)",
		tenantplugin.ErrBypassedRouting)}
}

var (
	_ gorm.ConnPool         = (*handle)(nil)
	_ gorm.ConnPoolBeginner = (*handle)(nil)
	_ gorm.GetDBConnector   = (*handle)(nil)
	_ gorm.Tx               = (*leasedTx)(nil)
	_ gorm.GetDBConnector   = (*leasedTx)(nil)
)
