package tenantplugin

import (
	"log/slog"

	"gorm.io/gorm"
)

// DefaultAlias is the reserved alias of the connection pool the *gorm.DB
// was opened with, unless [Config.ReservedPools] defines it.
const DefaultAlias = "default"

// DefaultStmtCacheSize is the number of prepared statements cached per
// reserved pool when [Config.StmtCacheSize] is 0.
const DefaultStmtCacheSize = 512

// Config configures the plugin. Zero values mean the documented
// defaults; -1 turns a setting off where it says so.
type Config struct {
	// Resolver gives each tenant's connection pool. Required; the
	// resolver package provides one.
	Resolver Resolver

	// ReservedPools maps aliases to reserved databases: databases shared by
	// all tenants, such as a central database. The pool the *gorm.DB was
	// opened with is always available as [DefaultAlias] unless this map
	// sets that alias. The plugin never closes these pools.
	// Default: only [DefaultAlias].
	ReservedPools map[string]gorm.ConnPool

	// Strategies decide, per statement, between the tenant's database and
	// a reserved one. The first that decides wins; when none decides, the
	// statement goes to the tenant's database.
	// Default: none (every statement goes to the tenant).
	Strategies []Strategy

	// NoTextRouting makes the plugin never read SQL text: raw statements
	// (Raw, Exec) go to the tenant unless reserved.Use sends them
	// elsewhere, and strategies see only a GORM-built statement's model
	// and the table GORM names (for Table("x AS y"), the alias y).
	// Default: false, SQL text is read by a lexer and every relation it
	// names counts.
	NoTextRouting bool

	// StmtCacheSize bounds the prepared statement cache of each reserved
	// pool, used by sessions with PrepareStmt (the resolver has its own
	// for tenant pools). 0: [DefaultStmtCacheSize]. -1: no cache, and
	// statements of such sessions on reserved pools are sent unprepared
	// (as a PgBouncer in transaction mode needs). Other negative values
	// are refused.
	StmtCacheSize int

	// Logger receives the plugin's state changes, never a line per query.
	// Default: slog.Default().
	Logger *slog.Logger
}
