package provision

import (
	"context"
	"fmt"
	"log/slog"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Provisioner creates and deletes tenants: their databases, and their
// configs in the store. Made by [New]; safe for concurrent use.
type Provisioner struct {
	cfg Config
	log *slog.Logger
}

// New returns a Provisioner, or an error wrapping [ErrInvalidConfig]
// naming what is wrong with cfg.
func New(cfg Config) (*Provisioner, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Provisioner{cfg: c, log: c.Logger}, nil
}

// DatabaseName returns the database name Create uses for id when no
// WithDatabase is given: Config.NamePrefix followed by [DatabaseName].
func (p *Provisioner) DatabaseName(id string) (string, error) {
	if err := tenant.ValidateID(id); err != nil {
		return "", &tenant.Error{ID: id, Err: err}
	}
	return p.cfg.NamePrefix + DatabaseName(id), nil
}

// start validates a call's id and options and returns the database name
// it is about (WithDatabase's, or the derived one).
func (p *Provisioner) start(id string, opts []Option) (options, string, error) {
	if err := tenant.ValidateID(id); err != nil {
		return options{}, "", &tenant.Error{ID: id, Err: err}
	}
	o, err := applyOptions(opts)
	if err != nil {
		return options{}, "", err
	}
	name := o.name
	if name == "" {
		name = p.cfg.NamePrefix + DatabaseName(id)
	}
	return o, name, nil
}

// lock takes the Server's lock of the tenant, when it has one. The lock
// is the tenant's, not its database's: it keeps two runs for one tenant
// apart (a retried sign-up, a Create and a Delete).
func (p *Provisioner) lock(ctx context.Context, id string) (func(), error) {
	l, ok := p.cfg.Server.(Locker)
	if !ok {
		return func() {}, nil
	}
	return l.Lock(ctx, "tenant:"+id)
}

// tenantDatabase returns the tenant's database in a published config,
// with the record's version.
func (p *Provisioner) tenantDatabase(rec tenantconfig.Record) (tenantconfig.Database, bool) {
	db, ok := rec.Config.Database(p.cfg.ORM, p.cfg.Alias)
	db.Version = rec.Version
	return db, ok
}

// hookFunc is a hook's Create or Delete.
type hookFunc = func(context.Context, Tenant) error

// runHooks opens the tenant's database and runs each hook's function
// that pick returns (in reverse order for Delete), then closes it.
func (p *Provisioner) runHooks(ctx context.Context, log *slog.Logger, t Tenant, name string, reverse bool,
	pick func(Hook) hookFunc) error {
	var fns []Hook
	for _, h := range p.cfg.Hooks {
		if pick(h) != nil {
			fns = append(fns, h)
		}
	}
	if len(fns) == 0 {
		return nil
	}
	return p.withDB(ctx, name, func(db *gorm.DB) error {
		t.DB = db
		for i := range fns {
			h := fns[i]
			if reverse {
				h = fns[len(fns)-1-i]
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := pick(h)(ctx, t); err != nil {
				return fmt.Errorf("provision: hook %q: %w", h.Name, err)
			}
			log.LogAttrs(ctx, slog.LevelDebug, "hook ran", slog.String("hook", h.Name))
		}
		return nil
	})
}

// withDB opens the tenant's database, calls fn, and closes it.
func (p *Provisioner) withDB(ctx context.Context, name string, fn func(*gorm.DB) error) error {
	var cfg *gorm.Config
	if p.cfg.GORMConfig != nil {
		cfg = p.cfg.GORMConfig()
	}
	db, err := p.cfg.Server.Open(ctx, name, cfg)
	if err != nil {
		return err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	defer sqlDB.Close()
	return fn(db)
}
