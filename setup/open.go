package tenantsetup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// Tenancy is what [Open] built: the plugin installed on the *gorm.DB,
// the resolver of the tenants' pools and the store it follows. Close it
// when the application stops.
type Tenancy struct {
	// Resolver gives each tenant's pool; its Has tells which tenants
	// exist.
	Resolver *resolver.Resolver
	// Plugin is the plugin installed on the *gorm.DB.
	Plugin *tenantplugin.Plugin
	// Store holds the tenants' configs: the Redis store, or an
	// in-process one.
	Store tenantconfig.Store

	db     *gorm.DB
	syncer *tenantsync.Syncer
	client redis.UniversalClient
	mw     func(http.Handler) http.Handler

	closeOnce sync.Once
	closeErr  error
}

// Open installs the plugin on db, with tenants where the settings say
// (the environment and [EnvFile] unless [WithSettings] gives them), each
// merged over db's own DSN, kept in step with their store until Close.
// It returns once every tenant of the store is registered (and, with
// [Migrate], migrated). On error it closes what it built; db keeps the
// plugin only when the error came from the migration (its statements
// then fail, as after Close).
func Open(ctx context.Context, db *gorm.DB, opts ...Option) (_ *Tenancy, err error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if db == nil {
		return nil, fmt.Errorf("%w: nil *gorm.DB", ErrConfig)
	}
	if _, ok := tenantplugin.PluginOf(db); ok {
		return nil, fmt.Errorf("%w: the *gorm.DB has the plugin already", ErrConfig)
	}
	s := o.settings
	if !o.given {
		if s, err = FromEnv(nil); err != nil {
			return nil, err
		}
	}
	tpl, drv, err := template(db)
	if err != nil {
		return nil, err
	}
	strategies, tables, err := reservedStrategies(db, s.Reserved, o.migrate)
	if err != nil {
		return nil, err
	}
	t := &Tenancy{db: db}
	defer func() {
		if err != nil {
			err = errors.Join(err, t.Close())
		}
	}()
	if t.Store, t.client, err = openStore(ctx, s, tpl); err != nil {
		return nil, err
	}
	if t.Resolver, err = resolver.New(resolver.Config{Template: tpl, Drivers: []dbdriver.Driver{drv}, Logger: o.log}); err != nil {
		return nil, err
	}
	syncOpts := []tenantsync.Option{tenantsync.WithLogger(o.log)}
	if o.allowEmpty {
		syncOpts = append(syncOpts, tenantsync.WithAllowEmpty())
	}
	if t.syncer, err = tenantsync.Start(ctx, t.Store, t.Resolver, syncOpts...); err != nil {
		if errors.Is(err, tenantsync.ErrEmptyStore) {
			return nil, fmt.Errorf("tenantsetup: %w (check %s and %s; tenantsetup.WithAllowEmpty starts with none)", err, EnvTenants, EnvService)
		}
		return nil, err
	}
	mwOpts := o.middleware
	if len(s.Bypass) > 0 {
		mwOpts = append([]tenantchi.Option{tenantchi.WithBypassPatterns(s.Bypass...)}, mwOpts...)
	}
	if t.mw, err = tenantchi.Middleware(t.Resolver, mwOpts...); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, EnvBypass, err)
	}
	t.Plugin = tenantplugin.New(tenantplugin.Config{
		Resolver:   t.Resolver,
		Strategies: append(strategies, o.strategies...),
		Logger:     o.log,
	})
	if err := db.Use(t.Plugin); err != nil {
		return nil, err
	}
	if o.migrate != nil {
		if err := t.AutoMigrate(ctx, o.migrate...); err != nil {
			return nil, err
		}
	}
	t.warnMissingReserved(ctx, o.log, tables)
	return t, nil
}

// warnMissingReserved logs a warning for each reserved table that the
// central database does not have once Open is done: a name misspelt in
// TENANTPLUGIN_RESERVED reserves nothing, and the statements on the
// table meant go to the tenants' databases. A table that the
// application creates after Open is named too.
func (t *Tenancy) warnMissingReserved(ctx context.Context, log *slog.Logger, tables []string) {
	central := t.db.WithContext(ctx).Clauses(reserved.Use(tenantplugin.DefaultAlias)).Migrator()
	for _, name := range tables {
		if central.HasTable(name) {
			continue
		}
		log.LogAttrs(ctx, slog.LevelWarn, "a reserved table is not in the central database: if its name is misspelt, the table meant is not reserved",
			slog.String("setting", EnvReserved), slog.String("table", name))
	}
}

// reservedStrategies turns the reserved settings into strategies: a
// model's type name (it starts with an upper-case letter) becomes its
// table's name by db's naming strategy. It returns the tables too.
func reservedStrategies(db *gorm.DB, byAlias map[string][]string, models []any) (out []tenantplugin.Strategy, all []string, _ error) {
	known, err := modelsByName(models)
	if err != nil {
		return nil, nil, err
	}
	for _, alias := range slices.Sorted(maps.Keys(byAlias)) {
		if alias != tenantplugin.DefaultAlias {
			return nil, nil, fmt.Errorf("%w: %s: unknown alias %q: the reserved database is %q, the *gorm.DB's own", ErrConfig, EnvReserved, alias, tenantplugin.DefaultAlias)
		}
		tables := make([]string, 0, len(byAlias[alias]))
		var typed []any
		for _, name := range byAlias[alias] {
			r, _ := utf8.DecodeRuneInString(name)
			switch {
			case strings.TrimSpace(name) == "":
				return nil, nil, fmt.Errorf("%w: %s: an empty table or model name", ErrConfig, EnvReserved)
			case !unicode.IsUpper(r):
				tables = append(tables, name)
			case known[name] != nil:
				// A model given to Migrate: reserved by its type, and by
				// its table as GORM names it (a TableName method too).
				sch, err := schema.Parse(known[name], &sync.Map{}, db.NamingStrategy)
				if err != nil {
					return nil, nil, fmt.Errorf("%w: %s: model %s: %w", ErrConfig, EnvReserved, name, err)
				}
				typed = append(typed, known[name])
				all = append(all, sch.Table)
			default:
				// A model type name alone: its table as the naming
				// strategy names it, which knows no TableName method.
				tables = append(tables, db.NamingStrategy.TableName(name))
			}
		}
		if len(tables) > 0 {
			out = append(out, reserved.Tables(alias, tables...))
		}
		if len(typed) > 0 {
			out = append(out, reserved.Models(alias, typed...))
		}
		all = append(all, tables...)
	}
	return out, all, nil
}

// modelsByName maps the type names of models (Migrate's) to the models,
// for TENANTPLUGIN_RESERVED's model names. Two models of one name in
// different packages are refused: the setting could not tell them apart.
func modelsByName(models []any) (map[string]any, error) {
	known := make(map[string]any, len(models))
	types := make(map[string]reflect.Type, len(models))
	for _, m := range models {
		t := reflect.TypeOf(m)
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			t = t.Elem()
		}
		if t == nil || t.Name() == "" {
			continue
		}
		if prev, ok := types[t.Name()]; ok && prev != t {
			return nil, fmt.Errorf("%w: %s: two models are named %s (%s and %s)", ErrConfig, EnvReserved, t.Name(), prev.PkgPath(), t.PkgPath())
		}
		known[t.Name()], types[t.Name()] = m, t
	}
	return known, nil
}

// Middleware puts the tenant named by the request's host into its
// context; an unknown tenant gets 404 and a request with none 400
// (package tenantchi), except on the bypass patterns.
func (t *Tenancy) Middleware(next http.Handler) http.Handler { return t.mw(next) }

// AutoMigrate migrates the central database and every tenant's with the
// models, each where the strategies place it (migrate.AutoMigrate): the
// multi-tenant db.AutoMigrate(models...).
func (t *Tenancy) AutoMigrate(ctx context.Context, models ...any) error {
	_, err := migrate.AutoMigrate(ctx, t.db, t.Resolver.Tenants(), models)
	return err
}

// Close stops following the store, closes the plugin (statements then
// fail), the tenants' pools and the Redis client. The *gorm.DB's own
// pool stays open. It may be called more than once.
func (t *Tenancy) Close() error {
	t.closeOnce.Do(func() {
		var errs []error
		if t.syncer != nil {
			errs = append(errs, t.syncer.Close())
		}
		if t.Plugin != nil {
			errs = append(errs, t.Plugin.Close())
		}
		if t.Resolver != nil {
			errs = append(errs, t.Resolver.Close())
		}
		if t.client != nil {
			errs = append(errs, t.client.Close())
		}
		t.closeErr = errors.Join(errs...)
	})
	return t.closeErr
}
