package tenantsetup

import (
	"errors"
	"fmt"
	"log/slog"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	tenantchi "github.com/tenantrouter/tenantplugin/chi"
)

// Option changes how [Open] builds.
type Option func(*options) error

type options struct {
	settings   Settings
	given      bool
	log        *slog.Logger
	strategies []tenantplugin.Strategy
	middleware []tenantchi.Option
	migrate    []any
	allowEmpty bool
}

// WithSettings gives the settings, instead of reading them from the
// environment and [EnvFile].
func WithSettings(s Settings) Option {
	return func(o *options) error {
		o.settings, o.given = s, true
		return nil
	}
}

// WithLogger gives the logger of the plugin, resolver and syncer.
// Default: slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("tenantsetup: WithLogger(nil)")
		}
		o.log = l
		return nil
	}
}

// WithStrategies adds strategies after those of the reserved settings.
func WithStrategies(s ...tenantplugin.Strategy) Option {
	return func(o *options) error {
		for i, st := range s {
			if st == nil {
				return fmt.Errorf("tenantsetup: WithStrategies: strategy %d is nil", i)
			}
		}
		o.strategies = append(o.strategies, s...)
		return nil
	}
}

// WithMiddleware adds options of the tenant middleware (extractors,
// error handler), after the bypass patterns of the settings.
func WithMiddleware(opts ...tenantchi.Option) Option {
	return func(o *options) error {
		o.middleware = append(o.middleware, opts...)
		return nil
	}
}

// Migrate makes Open migrate the central database and every tenant's
// with the models before it returns ([Tenancy.AutoMigrate]), as a
// single-tenant application runs db.AutoMigrate at start. Tenants added
// later are migrated by whoever adds them (tenantctl create, package
// provision, or migrate-all).
func Migrate(models ...any) Option {
	return func(o *options) error {
		if len(models) == 0 {
			return errors.New("tenantsetup: Migrate needs at least one model")
		}
		for i, m := range models {
			if m == nil {
				return fmt.Errorf("tenantsetup: Migrate: model %d is nil", i)
			}
		}
		o.migrate = append(o.migrate, models...)
		return nil
	}
}

// WithAllowEmpty lets Open start on a store that holds no tenant yet,
// as when the first tenants are added while the application runs
// (tenantctl add). Without it, Open returns an error wrapping
// tenantsync.ErrEmptyStore: an empty store is more often a wrong
// TENANTPLUGIN_TENANTS or TENANTPLUGIN_SERVICE than a new service.
func WithAllowEmpty() Option {
	return func(o *options) error {
		o.allowEmpty = true
		return nil
	}
}

func newOptions(opts []Option) (options, error) {
	o := options{log: slog.Default()}
	for _, opt := range opts {
		if opt == nil {
			return o, errors.New("tenantsetup: nil Option")
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}
