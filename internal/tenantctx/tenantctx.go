// Package tenantctx is what a context carries for its tenant: the id,
// and a memo where a resolver keeps its state of that tenant, so that
// the context's later statements find the tenant's pool without the
// resolver's look-up. Package tenant sets and reads the id; it imports
// nothing but the standard library, and neither does this package.
package tenantctx

import (
	"context"
	"sync/atomic"
)

// Key is the context key of a *Value.
type Key struct{}

// Value is the tenant of a context. ID never changes; the memo may be
// set by any goroutine the context is used on.
type Value struct {
	ID    string
	memo  atomic.Pointer[Memo]
	valid atomic.Bool
}

// Memo is a resolver's state of the tenant. A resolver keeps one Memo
// per tenant and stores a pointer to it, so that storing allocates
// nothing; it checks Owner before it trusts State.
type Memo struct {
	Owner any // the resolver that stored it
	State any // its state of the tenant
}

// New returns the Value of tenant id.
func New(id string) *Value { return &Value{ID: id} }

// From returns the Value ctx carries, or nil.
func From(ctx context.Context) *Value {
	if ctx == nil {
		return nil
	}
	v, _ := ctx.Value(Key{}).(*Value)
	return v
}

// Memo returns the memo stored last, or nil.
func (v *Value) Memo() *Memo { return v.memo.Load() }

// SetMemo stores m.
func (v *Value) SetMemo(m *Memo) { v.memo.Store(m) }

// Valid reports whether SetValid was called: ID was found valid.
func (v *Value) Valid() bool { return v.valid.Load() }

// SetValid records that ID is valid, so that it is checked once.
func (v *Value) SetValid() { v.valid.Store(true) }
