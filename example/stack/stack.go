package stack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/internal/redisurl"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// BootTimeout bounds connecting to PostgreSQL and Redis, migrating the
// central database and loading the tenants in [Open].
const BootTimeout = 30 * time.Second

// centralMaxConns caps the central database's pool.
const centralMaxConns = 8

// ErrConfig is wrapped by the errors of a [Config] Open refuses before
// connecting anywhere.
var ErrConfig = errors.New("stack: invalid config")

// Config configures [Open].
type Config struct {
	// RedisURL is the Redis of the config store, the tasks and the
	// cache: one node, a master behind Sentinel or a Cluster, in the
	// forms tenantctl takes (package internal/redisurl). Required.
	RedisURL string
	// DatabaseURL is the application's own PostgreSQL database (the
	// reserved central one), and the template of the tenants' databases.
	// Required.
	DatabaseURL string
	// Service names the service whose tenants are served. Required.
	Service string
	// Prefix is the config store's key prefix. Default:
	// redisstore.DefaultPrefix, as tenantctl's.
	Prefix string
	// Logger gets the stack's logs. Default: slog.Default().
	Logger *slog.Logger
}

// Stack is the opened full stack. Close it when done.
type Stack struct {
	// DB is the application's *gorm.DB, with the plugin: a statement
	// goes to the tenant of its context, an AuditLog to the central
	// database.
	DB *gorm.DB
	// Resolver holds the tenants of the config store, kept in step by
	// tenantsync; it says which tenants exist (web.NewRouter,
	// tenanttask.Middleware).
	Resolver *resolver.Resolver
	// Lists caches each tenant's lists ([CachedLists]): its hospitals.
	Lists *ListCache

	service string
	redis   redisurl.Options
	log     *slog.Logger
	closers []func() error // run in reverse order by Close
}

// Open opens the stack: the central database (its models migrated),
// the resolver and the plugin, the hospital cache, the config store,
// and tenantsync, started with the tenants the store holds (none is
// fine: tenants come with tenantctl create). Errors never quote a URL.
// On error everything opened is closed.
func Open(ctx context.Context, cfg Config) (_ *Stack, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Prefix == "" {
		cfg.Prefix = redisstore.DefaultPrefix
	}
	if cfg.Service == "" {
		return nil, fmt.Errorf("%w: no service", ErrConfig)
	}
	ropt, err := redisurl.Parse(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("%w: REDIS_URL: %w", ErrConfig, err)
	}
	if err := CheckDatabaseURL(cfg.DatabaseURL); err != nil {
		return nil, err
	}
	s := &Stack{service: cfg.Service, redis: ropt, log: cfg.Logger}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	bootCtx, cancel := context.WithTimeout(ctx, BootTimeout)
	defer cancel()

	if s.DB, err = gorm.Open(postgres.Open(cfg.DatabaseURL), &gorm.Config{Logger: logger.Discard}); err != nil {
		return nil, fmt.Errorf("stack: the application's database: %w", err)
	}
	var sqlDB *sql.DB
	if sqlDB, err = s.DB.DB(); err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(centralMaxConns)
	s.closers = append(s.closers, sqlDB.Close)
	if s.Resolver, err = resolver.New(resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: cfg.DatabaseURL},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
		Logger:   cfg.Logger,
	}); err != nil {
		return nil, err
	}
	s.closers = append(s.closers, s.Resolver.Close)
	plugin := tenantplugin.New(tenantplugin.Config{
		Resolver:   s.Resolver,
		Strategies: []tenantplugin.Strategy{hospital.Strategy()},
		Logger:     cfg.Logger,
	})
	s.closers = append(s.closers, plugin.Close)
	if err := s.DB.Use(plugin); err != nil {
		return nil, err
	}
	// The central database only: no tenant is given.
	if _, err := migrate.Apply(bootCtx, s.DB, nil, migrate.Models(hospital.Models()...)); err != nil {
		return nil, fmt.Errorf("stack: migrating the central database: %w", err)
	}

	cacheClient := cacheOptions(ropt).NewClient()
	s.closers = append(s.closers, cacheClient.Close)
	if s.Lists, err = newListCache(cacheClient, cfg.Service, CachedLists, cfg.Logger); err != nil {
		return nil, err
	}
	s.closers = append(s.closers, s.Lists.close)
	if err := s.Lists.register(s.DB); err != nil {
		return nil, err
	}

	storeClient := ropt.NewClient()
	s.closers = append(s.closers, storeClient.Close)
	store, err := redisstore.New(storeClient, cfg.Service, redisstore.WithPrefix(cfg.Prefix), redisstore.WithLogger(cfg.Logger))
	if err != nil {
		return nil, err
	}
	syncer, err := tenantsync.Start(bootCtx, store, s.Resolver,
		tenantsync.WithLogger(cfg.Logger),
		tenantsync.WithAllowEmpty(),
		tenantsync.WithConfigTargets(s.Lists.target()))
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, syncer.Close)
	if len(s.Resolver.Tenants()) == 0 {
		cfg.Logger.Warn("the config store holds no tenant of the service yet: check -service, or add one with tenantctl create", "service", cfg.Service)
	}
	return s, nil
}

// Service returns the service served.
func (s *Stack) Service() string { return s.service }

// Queue returns the asynq queue of the service's tasks: the service's
// name.
func (s *Stack) Queue() string { return s.service }

// NewRedisClient returns a new client of the stack's Redis, for asynq
// (asynq.NewClientFromRedisClient, asynq.NewServerFromRedisClient). The
// caller closes it, after asynq is done with it.
func (s *Stack) NewRedisClient() redis.UniversalClient { return s.redis.NewClient() }

// Close stops tenantsync and closes the store's client, the cache, the
// plugin, the resolver and the central database, in that order.
func (s *Stack) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// CheckDatabaseURL refuses a DATABASE_URL that is empty or not a
// PostgreSQL URL, with an error wrapping [ErrConfig] that says why and
// never quotes it.
func CheckDatabaseURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("%w: DATABASE_URL is not set: give the application's PostgreSQL database, postgres://USER:PASSWORD@HOST:PORT/DBNAME", ErrConfig)
	}
	if !strings.HasPrefix(raw, "postgres://") && !strings.HasPrefix(raw, "postgresql://") {
		return fmt.Errorf("%w: DATABASE_URL must be a postgres:// URL", ErrConfig)
	}
	if _, err := pgx.ParseConfig(raw); err != nil {
		return fmt.Errorf("%w: DATABASE_URL: %s", ErrConfig, dsnReason(err))
	}
	return nil
}

// dsnReason says why a URL does not parse without quoting it:
// url.Error and pgconn.ParseConfigError carry the whole string.
func dsnReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		if inner := pe.Unwrap(); inner != nil {
			return dsnReason(inner)
		}
		return "does not parse"
	}
	return "does not parse"
}
