package tenanttest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// DefaultTenants is the number of tenants New makes when neither
// [Tenants] nor [TenantIDs] is given.
const DefaultTenants = 2

// Option configures [New]. Each option checks its own input; New fails
// the test naming the first bad one, before anything is made.
type Option func(*options) error

// options are what New works with.
type options struct {
	srv        server
	ids        []string
	idsFrom    string // the option that set ids, "" for the default
	tpl        templateSpec
	reserved   []reservedDB
	strategies []tenantplugin.Strategy
	plugin     tenantplugin.Config
	gorm       gorm.Config
	resolver   resolver.Config
	logger     *slog.Logger
}

// reservedDB is a reserved alias's database and the models it holds.
type reservedDB struct {
	alias  string
	models []any
}

// setup is a function run on the template, after its models.
type setup struct {
	name string
	fn   func(ctx context.Context, db *gorm.DB) error
}

func defaultOptions() options {
	o := options{srv: sqliteServer{}, logger: slog.New(slog.DiscardHandler)}
	o.ids = tenantIDs(DefaultTenants)
	return o
}

// tenantIDs returns the ids Tenants(n) gives: tenant-1 to tenant-n.
func tenantIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("tenant-%d", i+1)
	}
	return ids
}

// SQLite keeps every database in a SQLite file in a directory of the
// test's (t.TempDir), removed when it ends. It is the default.
func SQLite() Option {
	return func(o *options) error {
		o.srv = sqliteServer{}
		return nil
	}
}

// Postgres makes every database on the PostgreSQL server of adminURL (a
// postgres:// URL or a key=value DSN, as pgx reads them): the tenants'
// and the reserved ones, created for the test and dropped with FORCE
// when it ends. The URL's user must be allowed to create databases;
// tenants connect as that user, and the URL's other settings apply to
// them. The URL's database is only where the databases are created from.
//
// Read the URL where your tests keep it (an environment variable of
// yours) and skip the test when it is not there; an empty URL fails
// the test. The URL is never printed.
func Postgres(adminURL string) Option {
	return func(o *options) error {
		s, err := newPGServer(adminURL)
		if err != nil {
			return fmt.Errorf("Postgres: %w", err)
		}
		o.srv = s
		return nil
	}
}

// Tenants makes n tenants, with ids tenant-1 to tenant-n, each with a
// database of its own. Default: [DefaultTenants]. 0 makes none (add
// them with [Env.AddTenant]).
func Tenants(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("Tenants(%d): negative", n)
		}
		if o.idsFrom != "" {
			return fmt.Errorf("Tenants(%d): tenants were already given by %s", n, o.idsFrom)
		}
		o.ids, o.idsFrom = tenantIDs(n), "Tenants"
		return nil
	}
}

// TenantIDs makes one tenant per id, each with a database of its own.
// Ids must be valid ([tenant.ValidateID]) and distinct.
func TenantIDs(ids ...string) Option {
	return func(o *options) error {
		if len(ids) == 0 {
			return errors.New("TenantIDs: no id (Tenants(0) makes no tenant)")
		}
		if o.idsFrom != "" {
			return fmt.Errorf("TenantIDs: tenants were already given by %s", o.idsFrom)
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if err := tenant.ValidateID(id); err != nil {
				return fmt.Errorf("TenantIDs: %w", err)
			}
			if seen[id] {
				return fmt.Errorf("TenantIDs: %q given twice", id)
			}
			seen[id] = true
		}
		o.ids, o.idsFrom = append([]string(nil), ids...), "TenantIDs"
		return nil
	}
}

// Models migrates the models, with GORM's AutoMigrate on a plain
// *gorm.DB (no plugin), into every tenant's database. They are migrated
// once, into a template database that each tenant's database copies (see
// [ShareTemplates]). Several Models add to each other, in order.
//
// Plain AutoMigrate migrates a model's associations with it: a tenant
// model associated with a central one gets the central table too, in
// every tenant's database. Give such models the tag
// gorm:"constraint:-" on the association, or build the template with
// [Setup].
func Models(models ...any) Option {
	return func(o *options) error {
		for i, m := range models {
			if m == nil {
				return fmt.Errorf("Models: model %d is nil", i)
			}
		}
		o.tpl.models = append(o.tpl.models, models...)
		return nil
	}
}

// Setup runs fn on the template database every tenant's database copies,
// after [Models]: versioned migrations (goose on the *sql.DB of db.DB()),
// seed rows, anything a fresh tenant holds. db is a plain *gorm.DB on
// the template, without the plugin, with the [GormConfig] given. Several
// Setups run in order.
//
// name identifies what fn does: with [ShareTemplates], a template is
// built once per test binary for each set of models and setups, and two
// setups are taken for the same when their names and functions are (a
// closure's captured values do not count: give another name when they
// differ). name must not be empty.
func Setup(name string, fn func(ctx context.Context, db *gorm.DB) error) Option {
	return func(o *options) error {
		if name == "" || fn == nil {
			return fmt.Errorf("Setup(%q): empty name or nil function", name)
		}
		o.tpl.setups = append(o.tpl.setups, setup{name: name, fn: fn})
		return nil
	}
}

// Reserved makes a database for the reserved alias and migrates the
// models into it, with plain GORM's AutoMigrate. The alias
// [tenantplugin.DefaultAlias] is the database Env.DB is opened with,
// which New always makes; another alias is a database of its own, given
// to the plugin in [tenantplugin.Config.ReservedPools]. Each alias may
// be given once.
func Reserved(alias string, models ...any) Option {
	return func(o *options) error {
		if alias == "" {
			return errors.New("Reserved: empty alias")
		}
		for _, r := range o.reserved {
			if r.alias == alias {
				return fmt.Errorf("Reserved(%q): given twice", alias)
			}
		}
		for i, m := range models {
			if m == nil {
				return fmt.Errorf("Reserved(%q): model %d is nil", alias, i)
			}
		}
		o.reserved = append(o.reserved, reservedDB{alias: alias, models: models})
		return nil
	}
}

// Strategies are the plugin's strategies ([tenantplugin.Config.Strategies]):
// give the application's own. Several Strategies add to each other, in
// order.
func Strategies(s ...tenantplugin.Strategy) Option {
	return func(o *options) error {
		for i, st := range s {
			if st == nil {
				return fmt.Errorf("Strategies: strategy %d is nil", i)
			}
		}
		o.strategies = append(o.strategies, s...)
		return nil
	}
}

// PluginConfig sets the plugin's other settings (NoTextRouting,
// StmtCacheSize, Logger). Resolver, ReservedPools and Strategies must be
// left empty: New sets them (see [Reserved] and [Strategies]).
func PluginConfig(cfg tenantplugin.Config) Option {
	return func(o *options) error {
		if cfg.Resolver != nil || cfg.ReservedPools != nil || cfg.Strategies != nil {
			return errors.New("PluginConfig: Resolver, ReservedPools and Strategies are set by New (use Reserved and Strategies)")
		}
		o.plugin = cfg
		return nil
	}
}

// GormConfig is the gorm.Config Env.DB is opened with, and the template
// and reserved databases are migrated with (its NamingStrategy names
// their tables). Its Logger defaults to GORM's logger.Discard. Dialector,
// ConnPool and Plugins must be left empty: install plugins on Env.DB
// after New.
func GormConfig(cfg *gorm.Config) Option {
	return func(o *options) error {
		if cfg == nil {
			return errors.New("GormConfig: nil")
		}
		if cfg.Dialector != nil || cfg.ConnPool != nil || len(cfg.Plugins) > 0 {
			return errors.New("GormConfig: Dialector, ConnPool and Plugins must be empty")
		}
		o.gorm = *cfg
		o.tpl.gorm = *cfg
		return nil
	}
}

// ResolverConfig sets the resolver's other settings (MaxPools,
// MaxConns, Template.Pool, ...). Template.Driver, Template.DSN and
// Drivers must be left empty: New sets them.
func ResolverConfig(cfg resolver.Config) Option {
	return func(o *options) error {
		if cfg.Template.Driver != "" || cfg.Template.DSN != "" || cfg.Drivers != nil {
			return errors.New("ResolverConfig: Template.Driver, Template.DSN and Drivers are set by New")
		}
		o.resolver = cfg
		return nil
	}
}

// Logger receives the state changes of the resolver and the plugin,
// where the [ResolverConfig] and [PluginConfig] set no logger of their
// own. Default: none are logged.
func Logger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("Logger: nil")
		}
		o.logger = l
		return nil
	}
}
