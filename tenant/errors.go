package tenant

import (
	"errors"
	"fmt"
)

var (
	// ErrMissing is returned when a statement or transaction has no
	// tenant in its context and nothing routes it to a reserved database.
	// No SQL is sent.
	ErrMissing = errors.New("tenant: no tenant in context")

	// ErrUnknown is returned when the tenant in the context is not
	// registered (never added, or removed). No SQL is sent. Resolvers and
	// configuration stores return errors that wrap it.
	ErrUnknown = errors.New("tenant: unknown tenant")

	// ErrInvalidID is returned when a tenant id is empty, longer than
	// [MaxIDLen] bytes, not valid UTF-8, or contains a control character,
	// '/', '\' or "..". It is checked before any file or connection is
	// touched.
	ErrInvalidID = errors.New("tenant: invalid tenant id")
)

// Error carries the tenant an error is about. It unwraps to the
// underlying error, so errors.Is(err, ErrUnknown) keeps working.
type Error struct {
	ID  string
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("tenant %q: %v", e.ID, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
