package tenantplugin

import (
	"log/slog"

	"gorm.io/gorm"
)

// DefaultAlias is the reserved alias of the connection pool the *gorm.DB
// was opened with, unless [Config.ReservedPools] defines it.
const DefaultAlias = "default"

// Config configures the plugin. Zero values mean the documented defaults.
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

	// StmtCacheSize bounds each pool's prepared statement cache, used by
	// sessions with PrepareStmt. Default: 512 statements.
	StmtCacheSize int

	// Logger receives the plugin's state changes, never a line per query.
	// Default: slog.Default().
	Logger *slog.Logger
}
