package resolver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"slices"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/stmtcache"
	"github.com/tenantrouter/tenantplugin/internal/tenantctx"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// ConnPool implements [tenantplugin.Resolver]. It opens the tenant's pool
// on first use; afterwards it takes a read lock and two atomic loads, and
// remembers the pool in ctx when ctx was made by tenant.NewContext for
// id: the context's later statements take two atomic loads and no lock.
func (r *Resolver) ConnPool(ctx context.Context, id string, access tenantplugin.Access) (gorm.ConnPool, error) {
	v := tenantctx.From(ctx)
	if v != nil && v.ID != id {
		v = nil
	}
	if v != nil {
		// A statement before this one, on the same context, found the
		// tenant's pool: it is still the tenant's current pool as long
		// as it is not retired (a swap, a Remove, an eviction and Close
		// retire it).
		if m := v.Memo(); m != nil && m.Owner == any(r) {
			if p := m.State.(*pool); !p.retired() {
				return &p.handles[access&3], nil
			}
		}
	}
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
	if v != nil && v.Memo() != &p.memo {
		v.SetMemo(&p.memo)
	}
	return &p.handles[access&3], nil
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
	if err := r.lockOpen(ctx, t); err != nil {
		return nil, &tenant.Error{ID: t.id, Err: err}
	}
	defer r.unlockOpen(t)
	if p := t.pool.Load(); p != nil && !p.retired() {
		return p, nil
	}
	r.mu.RLock()
	cfg, removed := t.cfg, t.removed
	r.mu.RUnlock()
	if removed {
		return nil, &tenant.Error{ID: t.id, Err: tenant.ErrUnknown}
	}
	p, err := r.newPool(ctx, t, cfg, false)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if t.removed { // removed while the pool was built
		r.mu.Unlock()
		r.retire(p)
		return nil, &tenant.Error{ID: t.id, Err: tenant.ErrUnknown}
	}
	t.pool.Store(p)
	r.mu.Unlock()
	r.log.LogAttrs(ctx, slog.LevelInfo, "tenant pool opened",
		slog.String("tenant", t.id), slog.Uint64("version", cfg.Version))
	return p, nil
}

// newPool takes a slot under MaxPools and builds the tenant's pool. It
// does no I/O: connections open on first use.
//
// With leased, the pool is returned leased, from before it is live: an
// opener short of pool slots cannot evict it before its caller is done
// with it (Set pings it first).
func (r *Resolver) newPool(ctx context.Context, t *tenantState, cfg tenantconfig.Database, leased bool) (*pool, error) {
	if err := r.takeSlot(ctx, t); err != nil {
		return nil, err
	}
	settings := r.dialect.drv.Load() // compared again below, under capMu
	p := &pool{r: r, tenant: t.id, version: cfg.Version}
	p.init()
	db, unprepared, b, err := r.openDB(cfg.DataSource)
	if err != nil {
		r.giveSlot()
		return nil, err
	}
	p.primary = db
	p.budgets = append(p.budgets, b)
	for i, rc := range cfg.Replicas {
		rdb, u, b, err := r.openDB(rc)
		if err != nil {
			_ = p.close()
			r.giveSlot()
			return nil, fmt.Errorf("replica %d: %w", i, err)
		}
		if !slices.Contains(p.budgets, b) {
			p.budgets = append(p.budgets, b)
		}
		p.replicas = append(p.replicas, rdb)
		unprepared = unprepared || u
	}
	if r.cfg.StmtCacheSize >= 0 && !unprepared {
		p.primaryStmt = stmtcache.New(db, r.cfg.StmtCacheSize)
		for _, rdb := range p.replicas {
			p.replicaStmt = append(p.replicaStmt, stmtcache.Pool{C: stmtcache.New(rdb.(*sql.DB), r.cfg.StmtCacheSize)})
		}
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
		return r.newPool(ctx, t, cfg, leased)
	}
	if leased {
		p.refs.Store(1)
	}
	r.live[p] = struct{}{}
	r.capMu.Unlock()
	return p, nil
}

// openDB opens the pool of one database, a member of its server's
// budget, which it returns too. unprepared: its connector says no
// statement may be kept prepared on it ([dbdriver.UnpreparedConnector]).
func (r *Resolver) openDB(c tenantconfig.DataSource) (db *sql.DB, unprepared bool, b *budget, err error) {
	conn, err := r.connector(c)
	if err != nil {
		return nil, false, nil, err
	}
	if uc, ok := conn.(dbdriver.UnpreparedConnector); ok {
		unprepared = uc.Unprepared()
	}
	ps := r.cfg.Template.Pool
	if b, err = r.budgets.forConn(conn); err != nil {
		return nil, false, nil, err
	}
	db = b.open(conn, ps.MaxOpenConns, ps.MaxIdleConns)
	db.SetConnMaxLifetime(ps.ConnMaxLifetime)
	db.SetConnMaxIdleTime(ps.ConnMaxIdleTime)
	return db, unprepared, b, nil
}

// connector checks c against the template's driver and builds its
// connector.
func (r *Resolver) connector(c tenantconfig.DataSource) (driver.Connector, error) {
	if err := r.checkSource(c); err != nil {
		return nil, err
	}
	conn, err := buildConnector(r.driver(), r.cfg.Template.DSN, c)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return conn, nil
}

// buildConnector calls d.Connector, turning a panic of the driver into an
// error: the resolver holds a MaxPools slot and the tenant's open lock
// while it builds a pool, which a panic going through would keep.
func buildConnector(d dbdriver.Driver, tmpl string, c tenantconfig.DataSource) (conn driver.Connector, err error) {
	defer func() {
		if v := recover(); v != nil {
			conn, err = nil, fmt.Errorf("driver %q panicked building a connector: %v", d.Name(), v)
		}
	}()
	return d.Connector(tmpl, c)
}

// databases checks c as connector does and names the databases its
// connector would reach, without building one when the driver is a
// [dbdriver.Checker].
func (r *Resolver) databases(c tenantconfig.DataSource) ([]string, error) {
	ck, ok := r.driver().(dbdriver.Checker)
	if !ok {
		conn, err := r.connector(c)
		if err != nil {
			return nil, err
		}
		return appendDatabase(nil, conn), nil
	}
	if err := r.checkSource(c); err != nil {
		return nil, err
	}
	dbs, err := ck.Check(r.cfg.Template.DSN, c)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return appendNames(nil, dbs), nil
}

// checkSource refuses a data source of another driver, and one that
// gives both a DSN and fields, or neither.
func (r *Resolver) checkSource(c tenantconfig.DataSource) error {
	if c.Driver != "" && c.Driver != r.tmpl.Name() {
		return fmt.Errorf("%w: driver %q, but this resolver's template uses %q (all tenants of one *gorm.DB share its dialect)",
			ErrInvalidConfig, c.Driver, r.tmpl.Name())
	}
	fields := c.Host != "" || c.Name != "" || c.Port != 0 || c.User != "" || c.Password != "" || len(c.Params) > 0
	switch {
	case c.DSN == "" && !fields:
		return fmt.Errorf("%w: no dsn and no field to merge over the template", ErrInvalidConfig)
	case c.DSN != "" && fields:
		return fmt.Errorf("%w: a dsn and fields: the fields would be ignored", ErrInvalidConfig)
	}
	return nil
}
