package resolver

import (
	"fmt"
	"log/slog"
	"time"

	"gorm.io/plugin/dbresolver"

	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
)

// Defaults of [Config] and [PoolSettings], applied to fields left at
// zero.
const (
	// DefaultMaxPools is the default [Config.MaxPools].
	DefaultMaxPools = 20
	// DefaultMaxConns is the default [Config.MaxConns]: it leaves room for
	// reserved pools and tools under PostgreSQL's max_connections = 100.
	DefaultMaxConns = 80
	// DefaultIdleTimeout is the default [Config.IdleTimeout].
	DefaultIdleTimeout = 5 * time.Minute
	// DefaultStmtCacheSize is the default [Config.StmtCacheSize].
	DefaultStmtCacheSize = 512
	// DefaultMaxOpenConns is the default [PoolSettings.MaxOpenConns].
	DefaultMaxOpenConns = 10
	// DefaultMaxIdleConns is the default [PoolSettings.MaxIdleConns].
	DefaultMaxIdleConns = 2
	// DefaultConnMaxIdleTime is the default [PoolSettings.ConnMaxIdleTime].
	DefaultConnMaxIdleTime = time.Minute
)

// Config configures a Resolver. Zero values mean the documented
// defaults, -1 turns a limit off (each field says what that means), and
// other negative values are refused with [ErrInvalidConfig].
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
	// idle, up to its context's deadline. Default: [DefaultMaxPools];
	// -1: no cap (pools close only when idle, replaced or removed).
	MaxPools int
	// AllowSharedDatabases lets two tenants name one database, which
	// Set otherwise refuses ([ErrDatabaseShared]): for load tests that
	// put many tenants on a few databases. Each tenant's users then read
	// and write the others' rows.
	AllowSharedDatabases bool

	// MaxConns is the connection budget shared by all tenant pools: at
	// most this many connections to tenant databases exist at once,
	// counting a PostgreSQL connection until its server process has
	// exited. While it is spent, each pool's requests queue for the
	// connections it has, and a pool that needs one more takes another
	// pool's idle connection or, when none is idle, the next one another
	// pool returns; it waits up to its context's deadline
	// ([ErrConnBudget]). Default: [DefaultMaxConns]; -1: no budget (each
	// pool is bounded by its own MaxOpenConns alone; connections are
	// still counted in [PoolStats]).
	MaxConns int

	// MaxConnsPerServer gives each database server a budget of its own,
	// of this many connections, instead of MaxConns for all of them:
	// tenants spread over servers, each with its own max_connections,
	// and a busy server's tenants cannot take the connections of
	// another's. A server is the host and port a tenant's DSN dials
	// first (through PgBouncer: the bouncer). ServerMaxConns sets some
	// servers' budgets. Default: 0, one budget (MaxConns) for all; when
	// set, MaxConns must be left 0.
	MaxConnsPerServer int
	// ServerMaxConns maps "host:port" to that server's budget (-1: none),
	// with MaxConnsPerServer for the servers it does not list. A key is
	// matched as the driver names its server: a host name whatever its
	// case and without a trailing dot, an IP address in any form
	// netip reads ("[::ffff:10.0.0.1]:5432" is "10.0.0.1:5432"), a
	// socket directory cleaned; two keys of one server with different
	// budgets are refused.
	ServerMaxConns map[string]int

	// IdleTimeout closes a tenant pool unused for this long, give or take
	// an eighth of it (at most half a second). Default:
	// [DefaultIdleTimeout]; -1: idle pools never close (MaxPools still
	// evicts them).
	IdleTimeout time.Duration

	// StmtCacheSize bounds each tenant database's prepared statement
	// cache, used by sessions with PrepareStmt. Default:
	// [DefaultStmtCacheSize] statements; -1: no cache, and sessions with
	// PrepareStmt run their statements as other sessions do, in and out
	// of transactions (nothing is kept prepared on the server, which
	// suits PgBouncer in transaction mode). A tenant whose databases'
	// connectors say their connections keep no prepared statement
	// ([dbdriver.UnpreparedConnector]: with pgdriver, the simple
	// protocol, pgx's exec mode, or pgbouncer=transaction) gets no cache
	// either, whatever the size.
	StmtCacheSize int

	// Policy picks a read replica, when a tenant has several. It is
	// called for every read routed to a tenant with replicas, from every
	// reading goroutine at once, so it must be safe for concurrent use.
	// [dbresolver.RandomPolicy] and [dbresolver.StrictRoundRobinPolicy]
	// are; [dbresolver.RoundRobinPolicy] is not (it updates a counter
	// without synchronisation, and fails under the race detector).
	// Default: [dbresolver.RandomPolicy].
	Policy dbresolver.Policy

	// Logger receives pool state changes (opened, swapped, evicted,
	// closed), with the tenant as an attribute; never a line per query,
	// never a DSN. Default: slog.Default().
	Logger *slog.Logger
}

// Template is the settings every tenant's are merged over.
type Template struct {
	// Driver names the driver of the template and of every tenant, such
	// as pgdriver.DriverName or sqlitedriver.DriverName: all tenants
	// of one *gorm.DB speak its dialect. Required.
	Driver string
	// DSN is the application's existing data source name. Tenants that
	// give fields (host, name, user, ...) instead of a full DSN get them
	// merged over this one.
	DSN string
	// Pool sets each tenant pool's limits.
	Pool PoolSettings
}

// PoolSettings mirror database/sql's setters and apply to each tenant
// pool (primary and replicas alike). Zero means the default, -1 the
// setting database/sql calls disabled, and other negative values are
// refused with [ErrInvalidConfig].
type PoolSettings struct {
	// MaxOpenConns per pool. Default: [DefaultMaxOpenConns]; -1:
	// unlimited ([Config.MaxConns] still bounds all pools together).
	MaxOpenConns int
	// MaxIdleConns per pool, at most MaxOpenConns. Default:
	// [DefaultMaxIdleConns]; -1: none kept idle (each connection closes
	// when it is returned).
	MaxIdleConns int
	// ConnMaxLifetime per connection. Default and -1: none, as in
	// database/sql (a limit costs a clock read per query).
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime per connection. Default: [DefaultConnMaxIdleTime];
	// -1: none (idle connections are kept until MaxIdleConns or the
	// budget closes them).
	ConnMaxIdleTime time.Duration
}

// withDefaults returns c with defaults applied, or an error naming the
// first field that is wrong. It is the one place defaults are applied;
// -1 stays -1, which database/sql reads as "disabled" too.
func (c Config) withDefaults() (Config, error) {
	if c.Template.Driver == "" {
		return c, fmt.Errorf("%w: Template.Driver is empty", ErrInvalidConfig)
	}
	if err := checkServers(c); err != nil {
		return c, err
	}
	p := &c.Template.Pool
	for _, f := range []struct {
		name string
		v    any
		bad  bool
	}{
		{"MaxPools", c.MaxPools, c.MaxPools < -1},
		{"MaxConns", c.MaxConns, c.MaxConns < -1},
		{"IdleTimeout", c.IdleTimeout, c.IdleTimeout < -1},
		{"StmtCacheSize", c.StmtCacheSize, c.StmtCacheSize < -1},
		{"Template.Pool.MaxOpenConns", p.MaxOpenConns, p.MaxOpenConns < -1},
		{"Template.Pool.MaxIdleConns", p.MaxIdleConns, p.MaxIdleConns < -1},
		{"Template.Pool.ConnMaxLifetime", p.ConnMaxLifetime, p.ConnMaxLifetime < -1},
		{"Template.Pool.ConnMaxIdleTime", p.ConnMaxIdleTime, p.ConnMaxIdleTime < -1},
	} {
		if f.bad {
			return c, fmt.Errorf("%w: %s is %v: want a positive value, 0 for the default or -1 for off",
				ErrInvalidConfig, f.name, f.v)
		}
	}
	setDefault(&c.MaxPools, DefaultMaxPools)
	if c.MaxConnsPerServer == 0 {
		setDefault(&c.MaxConns, DefaultMaxConns)
	} else {
		c.MaxConns = -1 // no budget over all servers
	}
	setDefault(&c.IdleTimeout, DefaultIdleTimeout)
	setDefault(&c.StmtCacheSize, DefaultStmtCacheSize)
	setDefault(&p.MaxOpenConns, DefaultMaxOpenConns)
	setDefault(&p.MaxIdleConns, DefaultMaxIdleConns)
	setDefault(&p.ConnMaxIdleTime, DefaultConnMaxIdleTime)
	if p.MaxOpenConns > 0 && p.MaxIdleConns > p.MaxOpenConns {
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
