package resolver

import "errors"

var (
	// ErrInvalidConfig is returned by New and Set for settings that cannot
	// work; the message names the field. Nothing is changed.
	ErrInvalidConfig = errors.New("resolver: invalid config")

	// ErrStaleConfig is returned by Set for a config whose Version is
	// older than the tenant's current one. Nothing is changed.
	ErrStaleConfig = errors.New("resolver: stale config version")

	// ErrDatabaseShared is returned by Set for a config naming a database
	// that serves another tenant (as its primary or a replica). Nothing
	// is changed.
	ErrDatabaseShared = errors.New("resolver: database serves another tenant")

	// ErrClosed is returned by every method but Close once Close has
	// been called.
	ErrClosed = errors.New("resolver: closed")

	// ErrConnBudget is returned when a connection to a tenant database
	// waits for the shared budget ([Config.MaxConns]) until its context
	// ends.
	ErrConnBudget = errors.New("resolver: connection budget spent")

	// ErrPoolsExhausted is returned when a tenant pool must open, MaxPools
	// pools are open and all in use, and the context ends before one is
	// released.
	ErrPoolsExhausted = errors.New("resolver: all tenant pools in use")
)
