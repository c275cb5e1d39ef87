package tenant

import (
	"context"

	"github.com/tenantrouter/tenantplugin/internal/tenantctx"
)

// NewContext returns a copy of ctx that carries the tenant id. With the
// plugin installed, every GORM statement and transaction run with the
// returned context goes to that tenant's database. The id is checked
// when it is used, not here: an invalid id makes the statement fail with
// [ErrInvalidID].
//
// The resolver remembers in the returned context where the tenant's pool
// is, so that the context's later statements skip its look-up: make one
// context per request (or task) and run its statements with it.
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, tenantctx.Key{}, tenantctx.New(id))
}

// FromContext returns the tenant id that ctx carries, and whether it
// carries one.
func FromContext(ctx context.Context) (string, bool) {
	v := tenantctx.From(ctx)
	if v == nil {
		return "", false
	}
	return v.ID, true
}
