package resolver

import (
	"fmt"
	"log/slog"
	"time"

	"gorm.io/plugin/dbresolver"

	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
)

// Config configures a Resolver. Zero values mean the documented defaults.
type Config struct {
	// Template is the application's existing single-tenant database
	// settings. Each tenant's settings are merged over it. Required.
	Template Template

	// Drivers are the database drivers tenants may use; Template.Driver
	// must be one of them. Required: pgdriver.New() for PostgreSQL,
	// sqlitedriver.New() for SQLite.
	Drivers []dbdriver.Driver

	// MaxPools caps the tenant pools open at once (counting pools still
	// draining after eviction or a config change). When a pool must open
	// and the cap is reached, the least recently used idle pool is
	// closed; if every pool is in use, the opener waits for one to go
	// idle, up to its context's deadline. Default: 20.
	MaxPools int

	// MaxConns is the connection budget shared by all tenant pools: at
	// most this many connections to tenant databases exist at once,
	// counting a PostgreSQL connection until its server process has
	// exited. While it is spent, each pool's requests queue for the
	// connections it has, and a pool that needs one more takes another
	// pool's idle connection or, when none is idle, the next one another
	// pool returns; it waits up to its context's deadline
	// (ErrConnBudget). The default, 80, leaves room for reserved pools and
	// tools under PostgreSQL's max_connections = 100.
	MaxConns int

	// IdleTimeout closes a tenant pool unused for this long, give or take
	// an eighth of it (at most half a second). Default: 5 minutes.
	IdleTimeout time.Duration

	// StmtCacheSize bounds each tenant database's prepared statement
	// cache, used by sessions with PrepareStmt. Default: 512 statements.
	StmtCacheSize int

	// Policy picks a read replica, when a tenant has several.
	// Default: dbresolver.RandomPolicy.
	Policy dbresolver.Policy

	// Logger receives pool state changes (opened, swapped, evicted,
	// closed), with the tenant as an attribute; never a line per query,
	// never a DSN. Default: slog.Default().
	Logger *slog.Logger
}

// Template is the settings every tenant's are merged over.
type Template struct {
	// Driver names the driver of the template and of every tenant, such
	// as "postgres" or "sqlite": all tenants of one *gorm.DB speak its
	// dialect. Required.
	Driver string
	// DSN is the application's existing data source name. Tenants that
	// give fields (host, name, user, ...) instead of a full DSN get them
	// merged over this one.
	DSN string
	// Pool sets each tenant pool's limits.
	Pool PoolSettings
}

// PoolSettings mirror database/sql's setters and apply to each tenant
// pool (primary and replicas alike).
type PoolSettings struct {
	// MaxOpenConns per pool. Default: 10.
	MaxOpenConns int
	// MaxIdleConns per pool. Default: 2.
	MaxIdleConns int
	// ConnMaxLifetime per connection. Default: none, as in
	// database/sql (a limit costs a clock read per query).
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime per connection. Default: 1 minute.
	ConnMaxIdleTime time.Duration
}

const (
	defaultMaxPools        = 20
	defaultMaxConns        = 80
	defaultIdleTimeout     = 5 * time.Minute
	defaultMaxOpenConns    = 10
	defaultMaxIdleConns    = 2
	defaultConnMaxIdleTime = time.Minute
)

// withDefaults returns c with defaults applied, or an error naming the
// first field that is wrong.
func (c Config) withDefaults() (Config, error) {
	if c.Template.Driver == "" {
		return c, fmt.Errorf("%w: Template.Driver is empty", ErrInvalidConfig)
	}
	for name, v := range map[string]int{
		"MaxPools": c.MaxPools, "MaxConns": c.MaxConns,
		"Template.Pool.MaxOpenConns": c.Template.Pool.MaxOpenConns,
		"Template.Pool.MaxIdleConns": c.Template.Pool.MaxIdleConns,
	} {
		if v < 0 {
			return c, fmt.Errorf("%w: %s is negative", ErrInvalidConfig, name)
		}
	}
	if c.IdleTimeout < 0 || c.Template.Pool.ConnMaxLifetime < 0 || c.Template.Pool.ConnMaxIdleTime < 0 {
		return c, fmt.Errorf("%w: negative duration", ErrInvalidConfig)
	}
	setDefault(&c.MaxPools, defaultMaxPools)
	setDefault(&c.MaxConns, defaultMaxConns)
	setDefault(&c.IdleTimeout, defaultIdleTimeout)
	p := &c.Template.Pool
	setDefault(&p.MaxOpenConns, defaultMaxOpenConns)
	setDefault(&p.MaxIdleConns, defaultMaxIdleConns)
	setDefault(&p.ConnMaxIdleTime, defaultConnMaxIdleTime)
	if p.MaxIdleConns > p.MaxOpenConns {
		p.MaxIdleConns = p.MaxOpenConns
	}
	if c.Policy == nil {
		c.Policy = dbresolver.RandomPolicy{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}
