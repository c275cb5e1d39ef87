package resolver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
)

// ErrDialectorMismatch is returned by UseDialector for a dialector whose
// settings differ from those the resolver was configured with before.
// Nothing is changed.
var ErrDialectorMismatch = errors.New("resolver: dialector settings differ from the ones tenant pools use")

// dialectState holds the driver UseDialector configured.
type dialectState struct {
	mu sync.Mutex // serialises UseDialector
	// drv is the template driver configured from the dialector, nil until
	// then. It changes under Resolver.capMu too, so that a pool built
	// while it changed is seen when it registers.
	drv atomic.Pointer[configured]
}

type configured struct{ DialectorDriver }

// driver returns the driver tenant pools open with.
func (r *Resolver) driver() dbdriver.Driver {
	if c := r.dialect.drv.Load(); c != nil {
		return c.DialectorDriver
	}
	return r.tmpl
}

// UseDialector makes tenant pools open the way the dialector d opens the
// *gorm.DB's own pool: pgdriver copies gorm.io/driver/postgres's
// PreferSimpleProtocol, OptionOpenDB and TimeZone handling, for
// instance. It implements [tenantplugin.DialectorResolver]: the plugin
// calls it when installed, with the *gorm.DB's dialector, and db.Use
// fails with its error.
//
// It asks the template's driver, through [DialectorDriver], for a copy
// configured from d, and every pool opened afterwards uses that copy.
// Pools already open were built with the old settings: they are retired
// at once (work in flight finishes on them, and they reopen on the next
// statement). A template driver that does not implement
// [DialectorDriver] is left as it is, and UseDialector returns nil: a
// custom driver opens its pools as it sees fit.
//
// A driver refusing d (a dialector for another database, or settings it
// cannot honour) gives an error wrapping [ErrInvalidConfig]. Once
// configured, a resolver serves only *gorm.DBs that agree: calling
// UseDialector again with the same settings does nothing, with other
// settings it returns an error wrapping [ErrDialectorMismatch]. Either
// error changes nothing.
//
// It is safe to call while tenants' pools open: a pool is built with one
// driver, and one built with the old settings while UseDialector ran is
// built again.
func (r *Resolver) UseDialector(d gorm.Dialector) error {
	if d == nil {
		return fmt.Errorf("%w: nil dialector", ErrInvalidConfig)
	}
	base, ok := r.tmpl.(DialectorDriver)
	if !ok {
		r.attached.Store(true)
		return nil
	}
	r.dialect.mu.Lock()
	defer r.dialect.mu.Unlock()
	if r.closed.Load() {
		return ErrClosed
	}
	if cur := r.dialect.drv.Load(); cur != nil {
		if _, err := cur.WithDialector(d); err != nil {
			return fmt.Errorf("%w: %w", ErrDialectorMismatch, err)
		}
		r.attached.Store(true)
		return nil
	}
	next, err := base.WithDialector(d)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if next == nil || next.Name() != base.Name() {
		return fmt.Errorf("%w: driver %q configured from dialector %T has another name", ErrInvalidConfig, base.Name(), d)
	}

	r.capMu.Lock()
	r.dialect.drv.Store(&configured{next})
	stale := r.takeLiveLocked()
	r.capMu.Unlock()
	for _, p := range stale {
		p.retire()
	}
	r.attached.Store(true)
	r.log.LogAttrs(context.Background(), slog.LevelInfo, "tenant pools use the dialector's settings",
		slog.String("dialector", fmt.Sprintf("%T", d)), slog.Int("retired", len(stale)))
	return nil
}

// Attached reports whether a *gorm.DB uses the resolver: the plugin's
// Initialize (db.Use) called UseDialector. The chi middleware warns at
// its first tenant request when none does.
func (r *Resolver) Attached() bool { return r.attached.Load() }
