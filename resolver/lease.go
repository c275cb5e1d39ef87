package resolver

import (
	"context"
	"database/sql"
	"sync/atomic"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// Lease is a tenant's primary *sql.DB held open for code that needs one:
// see [Resolver.Lease].
type Lease struct {
	p *pool
	// stop unregisters the watch on the context; set before the Lease is
	// handed out or listed in the resolver's leases.
	stop func() bool
	done atomic.Bool
}

// Lease leases tenant id's primary *sql.DB for a tool that needs one
// (goose, golang-migrate, plain database/sql code). It is the way to get
// a tenant's *sql.DB: db.DB() on a *gorm.DB with the plugin returns the
// central database (the one the *gorm.DB was opened with), whatever its
// context, and fails inside a tenant's transaction.
//
// The id must be valid ([tenant.ValidateID]) and registered,
// else the error wraps [tenant.ErrInvalidID] or
// [tenant.ErrUnknown]. The tenant's pool opens if needed,
// counting against [Config.MaxPools] (waiting for a slot up to ctx's
// deadline, as a statement does), and is held: it is not evicted, and a
// config change (Set) or Remove leaves it open, serving the lease, until
// the lease ends; then it closes. Its connections are the pool's own and
// count against [Config.MaxConns].
//
// The lease ends at Release or when ctx ends, whichever comes first, so
// that a forgotten Release in a request handler cannot hold a pool for
// good; Close ends it too. After that the *sql.DB may close at any time:
// use it only while leased, and do not close it.
func (r *Resolver) Lease(ctx context.Context, id string) (*Lease, error) {
	if err := tenant.ValidateID(id); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := r.acquire(ctx, id)
	if err != nil {
		return nil, err
	}
	l := &Lease{p: p}
	l.stop = context.AfterFunc(ctx, l.end)
	r.leaseMu.Lock()
	if r.closed.Load() {
		r.leaseMu.Unlock()
		l.Release()
		return nil, ErrClosed
	}
	if l.done.Load() || ctx.Err() != nil {
		// ctx ended while the pool opened: the lease ended, or ends now.
		r.leaseMu.Unlock()
		l.Release()
		return nil, ctx.Err()
	}
	r.leases[l] = struct{}{}
	r.leaseMu.Unlock()
	return l, nil
}

// DB returns the tenant's primary *sql.DB. It is valid until the lease
// ends; do not close it.
func (l *Lease) DB() *sql.DB { return l.p.primary }

// Tenant returns the tenant id the lease is for.
func (l *Lease) Tenant() string { return l.p.tenant }

// Release ends the lease. It is idempotent and safe to call from any
// goroutine, also after the lease's context ended.
func (l *Lease) Release() {
	l.stop()
	l.end()
}

// end releases the pool once.
func (l *Lease) end() {
	if !l.done.CompareAndSwap(false, true) {
		return
	}
	r := l.p.r
	r.leaseMu.Lock()
	delete(r.leases, l)
	r.leaseMu.Unlock()
	l.p.release()
}

// endLeases ends every Lease still held; Close calls it after setting
// r.closed, so no Lease is listed afterwards.
func (r *Resolver) endLeases() {
	r.leaseMu.Lock()
	leases := make([]*Lease, 0, len(r.leases))
	for l := range r.leases {
		leases = append(leases, l)
	}
	r.leaseMu.Unlock()
	for _, l := range leases {
		l.Release()
	}
}
