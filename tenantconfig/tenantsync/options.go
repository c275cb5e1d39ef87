package tenantsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/optapply"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// The defaults of the options.
const (
	// DefaultResyncInterval is the period of the full resync when
	// WithResyncInterval is not given or given 0.
	DefaultResyncInterval = 30 * time.Second
	// DefaultFullCheckInterval is the period of the full check when
	// WithFullCheckInterval is not given or given 0.
	DefaultFullCheckInterval = 10 * time.Minute
	// DefaultApplyTimeout bounds one change when WithApplyTimeout is not
	// given or given 0.
	DefaultApplyTimeout = 10 * time.Second
)

// Option configures Start or Load. Each option checks its own input;
// Start and Load return the first option's error, naming the option, and
// do nothing else.
type Option func(*options) error

// options are the settings Start and Load work with, defaults applied.
type options struct {
	orm, alias     string
	resyncInterval time.Duration // -1: no periodic resync
	fullCheck      time.Duration // -1: no periodic full check
	applyTimeout   time.Duration // -1: none but the caller's context
	allowEmpty     bool
	hooks          []func(ctx context.Context) error
	configTargets  []ConfigTarget
	name           string
	logger         *slog.Logger
	eventLag       func(time.Duration) // nil: not measured
}

// WithDatabase picks the database of each tenant's config that the
// target serves: Config.ORM[orm][alias]. Default: [tenantconfig.GORM]
// and [tenantconfig.DefaultAlias]. Neither may be empty.
func WithDatabase(orm, alias string) Option {
	return func(o *options) error {
		if orm == "" || alias == "" {
			return fmt.Errorf("WithDatabase(%q, %q): empty ORM or alias", orm, alias)
		}
		o.orm, o.alias = orm, alias
		return nil
	}
}

// WithResyncInterval sets the period of the full resync, which repairs
// announcements a store lost. 0 means DefaultResyncInterval; -1 turns the
// periodic resync off (resyncs then run only when the store reports a
// re-subscription, or on Syncer.Resync). Any other negative is refused.
// Load, which runs once, ignores it.
func WithResyncInterval(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 && d != -1 {
			return fmt.Errorf("WithResyncInterval(%v): negative interval (0: the default, -1: no periodic resync)", d)
		}
		o.resyncInterval = d
		return nil
	}
}

// WithFullCheckInterval sets how often a periodic resync of a store that
// keeps a digest ([tenantconfig.Digester]) reads every record rather
// than only those whose Sums differ. A resync trusts the store's Sums,
// which its writes keep; a record edited by hand (HSET, HDEL) without
// them reaches the running instances at the next full check, or at the
// tenant's next change. 0 means DefaultFullCheckInterval; -1 turns it
// off (Syncer.ResyncFull still checks in full). Any other negative is
// refused. It applies only while periodic resyncs run.
func WithFullCheckInterval(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 && d != -1 {
			return fmt.Errorf("WithFullCheckInterval(%v): negative interval (0: the default, -1: no periodic full check)", d)
		}
		o.fullCheck = d
		return nil
	}
}

// WithApplyTimeout bounds one change: opening and pinging a tenant's new
// database. 0 means DefaultApplyTimeout; -1 sets no bound but the
// context's. Any other negative is refused.
func WithApplyTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 && d != -1 {
			return fmt.Errorf("WithApplyTimeout(%v): negative timeout (0: the default, -1: none)", d)
		}
		o.applyTimeout = d
		return nil
	}
}

// WithAllowEmpty lets Start and Load succeed on a store that holds no
// tenant; without it they return ErrEmptyStore.
func WithAllowEmpty() Option {
	return func(o *options) error {
		o.allowEmpty = true
		return nil
	}
}

// WithHooks adds hooks that Start runs in order after the first snapshot
// is applied, like the original's bootstrap callables: an error fails
// Start, which leaves the target as it found it. Several WithHooks add to
// one another. A nil hook is refused, and so is WithHooks given to Load,
// which would not run them.
func WithHooks(hooks ...func(ctx context.Context) error) Option {
	return func(o *options) error {
		for i, h := range hooks {
			if h == nil {
				return fmt.Errorf("WithHooks: hook %d is nil", i)
			}
		}
		o.hooks = append(o.hooks, hooks...)
		return nil
	}
}

// WithConfigTargets adds targets that receive each tenant's whole
// configuration (see [ConfigTarget]): its caches, task queues, anything
// beside the database the Target serves. Several WithConfigTargets add
// to one another; a nil target is refused.
func WithConfigTargets(targets ...ConfigTarget) Option {
	return func(o *options) error {
		for i, t := range targets {
			if t == nil {
				return fmt.Errorf("WithConfigTargets: target %d is nil", i)
			}
		}
		o.configTargets = append(o.configTargets, targets...)
		return nil
	}
}

// WithName names the store in messages. Default: the store's String
// method, or its type. It may not be empty.
func WithName(name string) Option {
	return func(o *options) error {
		if name == "" {
			return errors.New(`WithName(""): empty name`)
		}
		o.name = name
		return nil
	}
}

// WithLogger sets the logger of changes, refusals, resyncs and Load's
// line, which never receives a DSN. Default: slog.Default(). It may not be nil.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger(nil): nil logger")
		}
		o.logger = l
		return nil
	}
}

// newOptions applies opts over the zero options, then the defaults, in
// this one place. It returns the first option's error.
func newOptions(store tenantconfig.Store, opts []Option) (options, error) {
	var o options
	if err := optapply.Apply("tenantsync", &o, opts); err != nil {
		return options{}, err
	}
	if o.orm == "" {
		o.orm, o.alias = tenantconfig.GORM, tenantconfig.DefaultAlias
	}
	if o.resyncInterval == 0 {
		o.resyncInterval = DefaultResyncInterval
	}
	if o.fullCheck == 0 {
		o.fullCheck = DefaultFullCheckInterval
	}
	if o.applyTimeout == 0 {
		o.applyTimeout = DefaultApplyTimeout
	}
	if o.name == "" {
		// Only a store's own description: printing its fields could show
		// configs and secrets.
		if st, ok := store.(fmt.Stringer); ok {
			o.name = st.String()
		} else {
			o.name = fmt.Sprintf("%T", store)
		}
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	return o, nil
}

// applyContext bounds one change by the apply timeout, if any.
func (o *options) applyContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.applyTimeout < 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, o.applyTimeout)
}
