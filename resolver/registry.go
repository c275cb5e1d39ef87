package resolver

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Set registers the tenant id with cfg, or changes its config. When the
// tenant's pool is open, the new databases are opened and pinged first:
// if that fails, Set returns the error and the tenant stays on its old
// config. Otherwise new work goes to the new pool at once, while work in
// flight (transactions, running queries) finishes on the old one, which
// then closes. A config equal to the current one changes nothing; one
// with an older Version returns [ErrStaleConfig]; one naming a database
// that serves another tenant returns [ErrDatabaseShared] (unless
// [Config.AllowSharedDatabases]). Each tenant added or
// changed is logged, unless ctx comes from [WithoutTenantLog].
func (r *Resolver) Set(ctx context.Context, id string, cfg tenantconfig.Database) error {
	if err := tenant.ValidateID(id); err != nil {
		return err
	}
	if r.closed.Load() {
		return ErrClosed
	}
	dbs, err := r.check(cfg)
	if err != nil {
		return &tenant.Error{ID: id, Err: err}
	}
	for {
		if done, err := r.set(ctx, id, cfg, dbs); done {
			return err
		}
	}
}

// set applies a checked config. It returns false when the tenant was
// removed while it waited: Set then starts again.
func (r *Resolver) set(ctx context.Context, id string, cfg tenantconfig.Database, dbs []string) (bool, error) {
	r.mu.Lock()
	if err := r.sharedLocked(id, dbs); err != nil {
		r.mu.Unlock()
		return true, err
	}
	t := r.tenants[id]
	if t == nil {
		t = newTenantState(id)
		r.setCfgLocked(t, cfg, dbs)
		r.tenants[id] = t
		r.mu.Unlock()
		if tenantLogged(ctx) {
			r.log.LogAttrs(ctx, slog.LevelInfo, "tenant added", slog.String("tenant", id), slog.Uint64("version", cfg.Version))
		}
		return true, nil
	}
	r.mu.Unlock()

	if err := r.lockOpen(ctx, t); err != nil {
		return true, &tenant.Error{ID: id, Err: err}
	}
	defer r.unlockOpen(t)
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
	if err := r.sharedLocked(id, dbs); err != nil { // given to another while this waited
		r.mu.Unlock()
		return true, err
	}
	old := t.pool.Load()
	if old == nil || old.retired() {
		if err := r.sharedLocked(id, dbs); err != nil { // given to another while Set waited
			r.mu.Unlock()
			return true, err
		}
		r.setCfgLocked(t, cfg, dbs)
		r.mu.Unlock()
		if tenantLogged(ctx) {
			r.log.LogAttrs(ctx, slog.LevelInfo, "tenant changed", slog.String("tenant", id), slog.Uint64("version", cfg.Version))
		}
		return true, nil
	}
	r.mu.Unlock()

	// Leased from before it is live, while it is pinged and until it is
	// the tenant's pool, so that an opener short of pool slots does not
	// evict it meanwhile.
	t.changing.Store(true)
	defer t.changing.Store(false)
	next, err := r.newPool(ctx, t, cfg, true)
	if err != nil {
		// The caller reports it (tenantsync logs and counts refusals).
		return true, &tenant.Error{ID: id, Err: err}
	}
	defer next.release()
	if err := r.pingUnlessClosed(ctx, next); err != nil {
		r.retire(next)
		return true, &tenant.Error{ID: id, Err: err}
	}
	r.mu.Lock()
	if t.removed { // removed while the pool was pinged: Remove retired old
		r.mu.Unlock()
		r.retire(next)
		return false, nil
	}
	if err := r.sharedLocked(id, dbs); err != nil { // given to another meanwhile
		r.mu.Unlock()
		r.retire(next)
		return true, err
	}
	r.setCfgLocked(t, cfg, dbs)
	t.pool.Store(next)
	r.mu.Unlock()
	r.retire(old)
	r.swapped.Add(1)
	r.log.LogAttrs(ctx, slog.LevelInfo, "tenant pool swapped", slog.String("tenant", id), slog.Uint64("version", cfg.Version))
	return true, nil
}

// pingUnlessClosed pings p until ctx ends or Close is called: Close
// waits for p's lease, which the caller holds while it pings.
func (r *Resolver) pingUnlessClosed(ctx context.Context, p *pool) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(r.closeCtx, func() { cancel(ErrClosed) })()
	err := p.ping(ctx)
	if err != nil && errors.Is(context.Cause(ctx), ErrClosed) {
		return fmt.Errorf("%w (while pinging the tenant's new databases): %w", ErrClosed, err)
	}
	return err
}

// Verify opens cfg's databases with one connection each, pings them and
// closes them: it tells whether a config can serve before it is applied.
// The connections count against the connection budget. After Close it
// returns ErrClosed, and Close stops a ping under way.
func (r *Resolver) Verify(ctx context.Context, cfg tenantconfig.Database) error {
	if r.closed.Load() {
		return ErrClosed
	}
	if _, err := r.check(cfg); err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(r.closeCtx, func() { cancel(ErrClosed) })()
	dbs := append([]tenantconfig.DataSource{cfg.DataSource}, cfg.Replicas...)
	for i, c := range dbs {
		db, _, _, err := r.openDB(c)
		if err != nil {
			return err
		}
		db.SetMaxOpenConns(1)
		err = db.PingContext(ctx)
		_ = db.Close()
		if err != nil && errors.Is(context.Cause(ctx), ErrClosed) {
			return fmt.Errorf("%w (while verifying a config): %w", ErrClosed, err)
		}
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
func (r *Resolver) check(cfg tenantconfig.Database) (dbs []string, err error) {
	if dbs, err = r.databases(cfg.DataSource); err != nil {
		return nil, err
	}
	for i, rc := range cfg.Replicas {
		names, err := r.databases(rc)
		if err != nil {
			return nil, fmt.Errorf("replica %d: %w", i, err)
		}
		dbs = appendNames(dbs, names)
	}
	return dbs, nil
}

// appendDatabase appends the database c reaches, if it names it
// (dbdriver.DatabaseConnector), at each of its addresses
// (dbdriver.DatabasesConnector).
func appendDatabase(dbs []string, c driver.Connector) []string {
	if dc, ok := c.(dbdriver.DatabasesConnector); ok {
		return appendNames(dbs, dc.Databases())
	} else if dc, ok := c.(dbdriver.DatabaseConnector); ok {
		return appendNames(dbs, []string{dc.Database()})
	}
	return dbs
}

// appendNames appends the names of databases not in dbs; "" names none.
func appendNames(dbs, names []string) []string {
	for _, db := range names {
		if db != "" && !slices.Contains(dbs, db) {
			dbs = append(dbs, db)
		}
	}
	return dbs
}

// sharedLocked refuses databases dbs for tenant id when one of them
// serves another tenant: one tenant's users would read and write the
// other's rows. r.mu must be held.
func (r *Resolver) sharedLocked(id string, dbs []string) error {
	if r.cfg.AllowSharedDatabases {
		return nil
	}
	for _, db := range dbs {
		if other, ok := r.dbOwner[db]; ok && other != id {
			return &tenant.Error{ID: id, Err: fmt.Errorf("%w: %s serves tenant %q; give each tenant its own database", ErrDatabaseShared, db, other)}
		}
	}
	return nil
}

// Remove unregisters the tenant: new work gets [tenant.ErrUnknown], work
// in flight finishes, and the pool closes. Removing an unknown tenant
// returns an error wrapping [tenant.ErrUnknown]. The removal is logged,
// unless ctx comes from [WithoutTenantLog].
func (r *Resolver) Remove(ctx context.Context, id string) error {
	r.mu.Lock()
	t := r.tenants[id]
	if t == nil {
		r.mu.Unlock()
		return &tenant.Error{ID: id, Err: tenant.ErrUnknown}
	}
	delete(r.tenants, id)
	r.setCfgLocked(t, tenantconfig.Database{}, nil)
	t.removed = true
	r.mu.Unlock()
	// Without openMu: a Set pinging the tenant's next pool holds it for
	// as long as its context allows. A pool stored from now on is
	// retired by whoever stores it (they see removed under mu).
	if p := t.pool.Load(); p != nil {
		r.retire(p)
	}
	if tenantLogged(ctx) {
		r.log.LogAttrs(ctx, slog.LevelInfo, "tenant removed", slog.String("tenant", id))
	}
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

// setCfgLocked replaces a tenant's config, keeping the replica count.
// r.mu must be held.
func (r *Resolver) setCfgLocked(t *tenantState, cfg tenantconfig.Database, dbs []string) {
	r.withReplicas.Add(int64(min(len(cfg.Replicas), 1) - min(len(t.cfg.Replicas), 1)))
	t.cfg = cfg
	if r.cfg.AllowSharedDatabases {
		return
	}
	for _, db := range t.dbs {
		if r.dbOwner[db] == t.id {
			delete(r.dbOwner, db)
		}
	}
	t.dbs = dbs
	for _, db := range dbs {
		r.dbOwner[db] = t.id
	}
}
