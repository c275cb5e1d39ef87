package provision

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// DefaultDrainTimeout is how long Delete waits for the sessions on a
// tenant's database to end when Config.DrainTimeout is 0.
const DefaultDrainTimeout = 30 * time.Second

// drainPoll is how often Delete looks at the sessions while it waits.
const drainPoll = 100 * time.Millisecond

// Config configures a [Provisioner].
type Config struct {
	// Store is the config store every instance watches. Required.
	Store tenantconfig.Store
	// Server makes and drops the databases: [Postgres] or [SQLiteDir].
	// Required. The Provisioner does not close it.
	Server Server
	// Migrate, when set, migrates a new tenant's database, given a plain
	// *gorm.DB opened on it (no plugin). It must be idempotent: a re-run
	// of Create after a crash runs it again. With migrate's ledger:
	//
	//	Migrate: func(ctx context.Context, tdb *gorm.DB) error {
	//		_, err := migrate.ApplyTo(ctx, appDB, tdb, migrate.Models(models...))
	//		return err
	//	},
	Migrate func(ctx context.Context, db *gorm.DB) error
	// GORMConfig, when set, returns the gorm.Config the tenant's database
	// is opened with for Migrate and the hooks: a new value at each call
	// (gorm.Open takes it over), with the application's settings that
	// shape a schema (NamingStrategy, the migration switches), so that
	// tables come out as the application names them. Never the
	// application's own *gorm.Config, which holds its plugins. Default: a
	// silent gorm.Config.
	GORMConfig func() *gorm.Config
	// Hooks run after Migrate, in order, on Create, and in reverse order
	// on Delete, in the provisioning process only (never in every
	// instance). Their names must be set and distinct.
	Hooks []Hook
	// ORM and Alias place the tenant's database in its published
	// tenantconfig.Config: Config.ORM[ORM][Alias]. Defaults:
	// tenantconfig.GORM and tenantconfig.DefaultAlias.
	ORM, Alias string
	// NamePrefix is put in front of the names DatabaseName derives (not
	// of names given with WithDatabase), so that services sharing a
	// server never meet: at most 15 bytes of [a-z0-9_], starting with a
	// letter or '_'. Default: none.
	NamePrefix string
	// DrainTimeout bounds Delete's wait for the sessions on a tenant's
	// database to end, once it is unpublished. 0 means
	// DefaultDrainTimeout; -1 does not wait (nor look).
	DrainTimeout time.Duration
	// Logger records each step, with the tenant and the database name
	// (never a DSN). Default: slog.Default().
	Logger *slog.Logger
}

// Hook is an application's work on a tenant's database, run by Create
// (seed data, a welcome row, a cache warm-up) and Delete (an export, a
// cache purge). Either function may be nil.
//
// Hooks must be idempotent: Create runs them again when it is run again
// after a crash or a failure, and Delete likewise. Work that must happen
// once per database belongs in Migrate (migrate.Func records it in the
// database's ledger).
type Hook struct {
	Name   string
	Create func(ctx context.Context, t Tenant) error
	Delete func(ctx context.Context, t Tenant) error
}

// Tenant is what a hook is given.
type Tenant struct {
	ID string
	// Database is the config Create publishes once the hooks have run
	// (Version 0), or the one Delete unpublished (with its version).
	Database tenantconfig.Database
	// DB is a plain *gorm.DB (no plugin) opened directly on the tenant's
	// database, closed when the hooks have run.
	DB *gorm.DB
}

// withDefaults checks c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Store == nil:
		return c, fmt.Errorf("%w: no Store", ErrInvalidConfig)
	case c.Server == nil:
		return c, fmt.Errorf("%w: no Server", ErrInvalidConfig)
	case c.DrainTimeout < -1:
		return c, fmt.Errorf("%w: DrainTimeout %v: 0 (default %v), -1 (no wait) or more", ErrInvalidConfig, c.DrainTimeout, DefaultDrainTimeout)
	}
	if err := validatePrefix(c.NamePrefix); err != nil {
		return c, err
	}
	seen := map[string]bool{}
	for i, h := range c.Hooks {
		switch {
		case h.Name == "":
			return c, fmt.Errorf("%w: hook %d has no name", ErrInvalidConfig, i)
		case seen[h.Name]:
			return c, fmt.Errorf("%w: two hooks named %q", ErrInvalidConfig, h.Name)
		case h.Create == nil && h.Delete == nil:
			return c, fmt.Errorf("%w: hook %q has neither Create nor Delete", ErrInvalidConfig, h.Name)
		}
		seen[h.Name] = true
	}
	c.Hooks = append([]Hook(nil), c.Hooks...)
	if c.ORM == "" {
		c.ORM = tenantconfig.GORM
	}
	if c.Alias == "" {
		c.Alias = tenantconfig.DefaultAlias
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}
