package tenant

import "context"

// tenantKey is the context key of the tenant id. It is unexported so that
// only [NewContext] can set it.
type tenantKey struct{}

// NewContext returns a copy of ctx that carries the tenant id. With the
// plugin installed, every GORM statement and transaction run with the
// returned context goes to that tenant's database. The id is checked
// when it is used, not here: an invalid id makes the statement fail with
// [ErrInvalidID].
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, tenantKey{}, id)
}

// FromContext returns the tenant id that ctx carries, and whether it
// carries one.
func FromContext(ctx context.Context) (string, bool) {
	if ctx == nil {
		return "", false
	}
	id, ok := ctx.Value(tenantKey{}).(string)
	return id, ok
}
