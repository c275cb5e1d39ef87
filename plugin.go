package tenantplugin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/internal/stmtcache"
	"github.com/tenantrouter/tenantplugin/internal/tenantctx"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// PluginName is the plugin's name in gorm.Config.Plugins.
const PluginName = "tenantplugin"

// Plugin routes every statement and transaction of a *gorm.DB to the
// database of the tenant in its context, or to a reserved database chosen
// by its strategies. Install it with db.Use(tenantplugin.New(cfg)).
type Plugin struct {
	// What every statement reads first, in one cache line: the Resolver
	// (as a ReplicaResolver: the Resolver, or allReplicas around it) and
	// the strategies.
	replicas   ReplicaResolver
	strategies strategyStack

	cfg      Config
	reserved map[string]*reservedSet
	router   *router
	log      *slog.Logger
	tables   *tableCache // the relations of SQL texts
	schemas  sync.Map    // models parsed for routing subqueries

	// Counts for Stats: statements sent to tenants (those sent to a
	// reserved alias are counted in its reservedSet), and refusals by
	// reason.
	routedTenant routedCounter
	refusals     [numRefusals]atomic.Uint64

	mu sync.Mutex
	db *gorm.Config // the *gorm.DB the plugin is installed on
}

// reservedSet holds the four ways a reserved pool is installed on a
// statement, built once so that routing allocates nothing.
type reservedSet struct {
	plain, prepared             *reservedConn
	pinnedPlain, pinnedPrepared *reservedConn
	cache                       *stmtcache.Cache
	routed                      routedCounter // statements sent to the alias
}

func (s *reservedSet) conn(prepared, pinned bool) *reservedConn {
	switch {
	case prepared && pinned:
		return s.pinnedPrepared
	case prepared:
		return s.prepared
	case pinned:
		return s.pinnedPlain
	}
	return s.plain
}

// New returns a plugin for cfg. It never fails: the configuration is
// checked by Initialize, whose error db.Use returns.
func New(cfg Config) *Plugin {
	return &Plugin{cfg: cfg}
}

// Name implements gorm.Plugin.
func (p *Plugin) Name() string { return PluginName }

// Initialize implements gorm.Plugin. It checks the configuration,
// registers the routing callbacks and installs the routing pool as the
// *gorm.DB's pool. The pool the *gorm.DB was opened with becomes the
// reserved alias [DefaultAlias]. Calling it again is a no-op.
//
// A Plugin serves one *gorm.DB: Initialize on another returns an error.
func (p *Plugin) Initialize(db *gorm.DB) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db != nil {
		if p.db == db.Config {
			return nil
		}
		return errors.New("tenantplugin: this Plugin is installed on another *gorm.DB; create one per *gorm.DB with New")
	}
	if err := p.init(db); err != nil {
		return err
	}
	p.db = db.Config
	return nil
}

func (p *Plugin) init(db *gorm.DB) error {
	if p.cfg.Resolver == nil {
		return errors.New("tenantplugin: Config.Resolver is nil")
	}
	if n := p.cfg.StmtCacheSize; n < -1 {
		return fmt.Errorf("tenantplugin: Config.StmtCacheSize %d: want 0 (the default, %d), -1 (no cache) or a size", n, DefaultStmtCacheSize)
	}
	for i, s := range p.cfg.Strategies {
		if s == nil {
			return fmt.Errorf("tenantplugin: Config.Strategies[%d] is nil", i)
		}
		if in, ok := s.(StrategyInitializer); ok {
			if err := in.Initialize(db); err != nil {
				return fmt.Errorf("tenantplugin: Config.Strategies[%d]: %w", i, err)
			}
		}
	}
	if _, ok := db.Config.ConnPool.(*router); ok {
		return errors.New("tenantplugin: the *gorm.DB already routes through a tenantplugin")
	}
	if db.Callback().Query().Get("gorm:db_resolver") != nil {
		// dbresolver, installed first, would run after the routing
		// callback and overwrite its choice.
		return errors.New("tenantplugin: gorm.io/plugin/dbresolver is installed on this *gorm.DB; tenantplugin replaces it (tenant replicas are in tenantconfig.Database)")
	}
	p.log = p.cfg.Logger
	if p.log == nil {
		p.log = slog.Default()
	}
	p.strategies = append(strategyStack(nil), p.cfg.Strategies...)
	if rr, ok := p.cfg.Resolver.(ReplicaResolver); ok {
		p.replicas = rr
	} else {
		p.replicas = allReplicas{p.cfg.Resolver}
	}
	p.tables = newTableCache(db.Dialector.Name())

	pools := make(map[string]gorm.ConnPool, len(p.cfg.ReservedPools)+1)
	boot := db.Config.ConnPool
	gormStmts, _ := boot.(*gorm.PreparedStmtDB)
	if gormStmts != nil {
		boot = gormStmts.ConnPool // keep the raw pool; statements get our own cache
	}
	if boot != nil {
		pools[DefaultAlias] = boot
	}
	for alias, pool := range p.cfg.ReservedPools {
		if alias == "" {
			return errors.New("tenantplugin: Config.ReservedPools has an empty alias")
		}
		if pool == nil {
			return fmt.Errorf("tenantplugin: Config.ReservedPools[%q] is nil", alias)
		}
		pools[alias] = pool
	}
	if u, ok := p.cfg.Resolver.(DialectorResolver); ok {
		// Tenant pools open as the *gorm.DB's own pool does.
		if err := u.UseDialector(db.Dialector); err != nil {
			return fmt.Errorf("tenantplugin: %w", err)
		}
	}
	p.reserved = make(map[string]*reservedSet, len(pools))
	for alias, pool := range pools {
		p.reserved[alias] = newReservedSet(alias, pool, p.cfg.StmtCacheSize)
	}

	if err := p.registerCallbacks(db); err != nil {
		return err
	}
	p.router = &router{p: p}
	db.Config.ConnPool = p.router
	db.Statement.ConnPool = p.router
	db.Config.Dialector = &dialector{Dialector: db.Config.Dialector, p: p}
	if gormStmts != nil {
		// gorm.Open with Config.PrepareStmt made this statement cache on
		// the pool it opened, and GORM keeps it for every PrepareStmt
		// session: their transactions (*gorm.PreparedStmtTX) answer tx.DB()
		// with its GetDBConn, which would hand out the central database,
		// and statements it prepared there would run there. On the
		// router, that GetDBConn is refused; those statements are dropped.
		gormStmts.Mux.Lock()
		gormStmts.ConnPool = p.router
		gormStmts.Mux.Unlock()
		gormStmts.Close()
	}

	aliases := make([]string, 0, len(p.reserved))
	for a := range p.reserved {
		aliases = append(aliases, a)
	}
	sort.Strings(aliases)
	p.log.LogAttrs(context.Background(), slog.LevelInfo, "tenantplugin installed",
		slog.Any("reserved", aliases), slog.Int("strategies", len(p.strategies)))
	return nil
}

func newReservedSet(alias string, pool gorm.ConnPool, cacheSize int) *reservedSet {
	s := &reservedSet{}
	prepared := pool
	if cacheSize == 0 {
		cacheSize = DefaultStmtCacheSize
	}
	if db, err := sqlDBOf(pool); err == nil && cacheSize > 0 {
		s.cache = stmtcache.New(db, cacheSize)
		prepared = stmtcache.Pool{C: s.cache}
	}
	mk := func(p gorm.ConnPool, pinned bool) *reservedConn {
		return &reservedConn{alias: alias, pool: p, raw: pool, cache: s.cache, pinned: pinned, routed: &s.routed}
	}
	s.plain, s.prepared = mk(pool, false), mk(prepared, false)
	s.pinnedPlain, s.pinnedPrepared = mk(pool, true), mk(prepared, true)
	return s
}

// Close closes the prepared statements the plugin cached on reserved
// pools. It does not close the pools themselves, nor the resolver.
func (p *Plugin) Close() error {
	var errs []error
	for _, s := range p.reserved {
		if s.cache != nil {
			errs = append(errs, s.cache.Close())
		}
	}
	return errors.Join(errs...)
}

func (p *Plugin) bootstrapDB() (*sql.DB, error) {
	s, ok := p.reserved[DefaultAlias]
	if !ok {
		return nil, gorm.ErrInvalidDB
	}
	return sqlDBOf(s.plain.raw)
}

// reservedConn returns the reserved pool alias as it should sit on a
// statement.
func (p *Plugin) reservedConn(alias string, prepared, pinned bool) (*reservedConn, error) {
	s, ok := p.reserved[alias]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownAlias, alias)
	}
	return s.conn(prepared, pinned), nil
}

// decide runs the strategies; the tenant route when none decides.
func (p *Plugin) decide(s Statement) Route {
	if len(p.strategies) == 0 {
		return TenantRoute()
	}
	r, _ := p.strategies.Route(s)
	return r
}

// errNoTenant is the error of a statement routed to a tenant whose
// context has none.
var errNoTenant = fmt.Errorf("%w: give GORM the request's context (db.WithContext(ctx)), or send the statement to a reserved database (reserved.Use)", tenant.ErrMissing)

// tenantPool resolves the pool of the tenant in ctx.
func (p *Plugin) tenantPool(ctx context.Context, access Access) (string, gorm.ConnPool, error) {
	v := tenantctx.From(ctx)
	if v == nil {
		return "", nil, errNoTenant
	}
	id := v.ID
	if !v.Valid() { // checked once per context
		if err := tenant.ValidateID(id); err != nil {
			return id, nil, err
		}
		v.SetValid()
	}
	pool, err := p.replicas.ConnPool(ctx, id, access)
	if err != nil {
		if te := (*tenant.Error)(nil); !errors.As(err, &te) {
			err = &tenant.Error{ID: id, Err: err}
		}
		return id, nil, err
	}
	return id, pool, nil
}

// poolFor routes SQL given to the router's pool directly, outside GORM's
// callbacks, by its text and context.
func (p *Plugin) poolFor(ctx context.Context, sql string) (gorm.ConnPool, error) {
	pool, err := p.textPool(ctx, sql)
	if err != nil {
		p.refused(err)
		return nil, err
	}
	return pool, nil
}

func (p *Plugin) textPool(ctx context.Context, sql string) (gorm.ConnPool, error) {
	d, err := p.textRoute(ctx, sql)
	if err != nil {
		return nil, err
	}
	if alias, ok := d.route.Alias(); ok {
		rc, err := p.reservedConn(alias, false, false)
		if err != nil {
			return nil, err
		}
		rc.routed.add()
		return rc, nil
	}
	_, pool, err := p.tenantPool(ctx, AccessWrite)
	if err != nil {
		return nil, err
	}
	p.routedTenant.add()
	return pool, nil
}

// allReplicas is the ReplicaResolver of a Resolver that cannot tell: it
// reports that tenants may have replicas.
type allReplicas struct{ Resolver }

func (allReplicas) HasReplicas() bool { return true }

var _ gorm.Plugin = (*Plugin)(nil)
