package migrate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/optapply"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// DefaultParallel is how many tenants run at once when WithParallel is
// not given or given 0 and the plugin's resolver does not tell its
// budget. With a [*resolver.Resolver], the default is a quarter of its
// pools ([resolver.Config].MaxPools) and an eighth of its connections
// (MaxConns; a tenant being migrated may hold two), at least 1 and at
// most DefaultParallel: the run leaves most of the budget to the
// tenants being served.
const DefaultParallel = 8

// DefaultConnectTimeout is how long Apply and Check wait for each
// database to answer a ping before its step, when WithConnectTimeout is
// not given or given 0.
const DefaultConnectTimeout = 10 * time.Second

// Option configures [Apply], [Check] and [ForEach]. Each option checks
// its own input; an invalid one makes the call return an error naming
// it, before anything runs.
type Option func(*options) error

type options struct {
	parallel  int // 0: from the resolver's budget
	perServer int // 0: from each server's budget
	// serverOf names a tenant's database server, and serverLimit how
	// many of its tenants run at once; nil: tenants are not grouped.
	serverOf       func(id string) (string, error)
	serverLimit    func(server string) int
	progress       func(Result)
	failFast       bool
	connectTimeout time.Duration // -1: none
}

// WithParallel runs at most n tenants at once. 0 means the default
// ([DefaultParallel], lowered to fit the resolver's budget). There is no
// unbounded setting, and any negative n is refused: each running tenant
// holds one of the resolver's pools, so n should stay well under the
// resolver's MaxPools.
func WithParallel(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("WithParallel(%d): must be 0 (the default, from the resolver's budget) or more; there is no unbounded setting, as each running tenant holds one of the resolver's pools", n)
		}
		o.parallel = n
		return nil
	}
}

// WithParallelPerServer runs at most n tenants of each database server
// at once (the host and port a tenant's DSN dials, as
// [resolver.Resolver.Server] names it), and WithParallel's limit over
// all servers: a run over two servers goes about twice as fast as over
// one, and no server gets more than n of its tenants' migrations. With
// a [*resolver.Resolver] that has a budget per server
// ([resolver.Config].MaxConnsPerServer), tenants are grouped by server
// even without this option: n is then an eighth of each server's
// budget, at least 1 and at most DefaultParallel, and WithParallel's
// default a quarter of MaxPools. 0 means that default; a negative n is
// refused.
func WithParallelPerServer(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("WithParallelPerServer(%d): must be 0 (the default, from each server's budget) or more", n)
		}
		o.perServer = n
		return nil
	}
}

// WithProgress calls fn with each database's [Result] as soon as that
// database is finished (skipped ones included): once per database, in
// the order they finish. Calls never overlap, so fn needs no lock of its
// own, but the run waits for fn: keep it short. A nil fn is refused.
func WithProgress(fn func(Result)) Option {
	return func(o *options) error {
		if fn == nil {
			return fmt.Errorf("WithProgress(nil): give a function to call with each finished database's result")
		}
		o.progress = fn
		return nil
	}
}

// WithFailFast stops the run at the first failed database: the
// databases not started yet are [StatusSkipped] with [ErrStopped]; those
// already running finish. Without it, every database is tried whatever
// happens to the others.
func WithFailFast() Option {
	return func(o *options) error {
		o.failFast = true
		return nil
	}
}

// WithConnectTimeout bounds the ping Apply and Check send each database
// before its step: a database that does not answer within d is
// [StatusFailed] with an error wrapping [ErrUnreachable], and the run goes
// on without waiting for it. 0 means [DefaultConnectTimeout]; -1 sends
// no ping (each step then waits as long as its context allows). ForEach
// sends no ping.
func WithConnectTimeout(d time.Duration) Option {
	return func(o *options) error {
		switch {
		case d == 0:
			d = DefaultConnectTimeout
		case d < 0 && d != -1:
			return fmt.Errorf("WithConnectTimeout(%v): must be positive, 0 (default %v) or -1 (no ping)", d, DefaultConnectTimeout)
		}
		o.connectTimeout = d
		return nil
	}
}

// applyOptions returns the defaults with opts applied, or the first
// option's error.
func applyOptions(db *gorm.DB, opts []Option) (options, error) {
	o := options{connectTimeout: DefaultConnectTimeout}
	if err := optapply.Apply("migrate", &o, opts); err != nil {
		return options{}, err
	}
	r := resolverOf(db)
	perServerBudgets := false
	if r != nil {
		_, perServerBudgets = r.ServerBudget("")
	}
	if r != nil && (o.perServer > 0 || perServerBudgets) {
		o.serverOf = r.Server
		n := o.perServer
		o.serverLimit = func(server string) int {
			if n > 0 {
				return n
			}
			limit := DefaultParallel
			if b, _ := r.ServerBudget(server); b > 0 {
				limit = min(limit, b/8)
			}
			return max(limit, 1)
		}
	}
	if o.parallel == 0 {
		o.parallel = defaultParallel(r, perServerBudgets)
	}
	return o, nil
}

// resolverOf returns db's resolver when it is a *resolver.Resolver.
func resolverOf(db *gorm.DB) *resolver.Resolver {
	res, _ := tenantplugin.ResolverOf(db)
	r, _ := res.(*resolver.Resolver)
	return r
}

// defaultParallel fits DefaultParallel to the budget of the resolver r
// (nil: none known). With budgets per server, each server's limit
// protects it, and only the pools bound the total.
func defaultParallel(r *resolver.Resolver, perServer bool) int {
	n := DefaultParallel
	if r == nil {
		return n
	}
	s := r.Stats()
	if perServer {
		if s.MaxPools > 0 {
			return max(s.MaxPools/4, 1)
		}
		return 1 << 20 // each server's limit bounds the run
	}
	if s.MaxPools > 0 {
		n = min(n, s.MaxPools/4)
	}
	if s.MaxConns > 0 {
		n = min(n, s.MaxConns/8)
	}
	return max(n, 1)
}

// ping reads t's ledger within the connect timeout, and returns t with
// what it read: the database answered. A database that does not answer
// in time, or at all, gives an error wrapping ErrUnreachable.
func (o options) ping(ctx context.Context, t target) (target, error) {
	if o.connectTimeout < 0 {
		return t, nil
	}
	pctx, cancel := context.WithTimeout(ctx, o.connectTimeout)
	defer cancel()
	known, answered, err := readAll(t.ledger().session().WithContext(pctx))
	switch {
	case err == nil:
		t.known = known
		return t, nil
	case errors.Is(err, tenant.ErrUnknown):
		return t, fmt.Errorf("%w (the resolver does not serve it: Set it, or load the store with tenantsync.Load, before migrating)", err)
	case errors.Is(err, tenant.ErrMissing), ctx.Err() != nil, answered:
		return t, err
	}
	if pctx.Err() != nil {
		return t, fmt.Errorf("%w (no answer within %v): %w", ErrUnreachable, o.connectTimeout, err)
	}
	return t, fmt.Errorf("%w (could not connect): %w", ErrUnreachable, err) // the server refused, or no server
}
