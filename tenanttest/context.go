package tenanttest

import (
	"context"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// Context returns tb's context (tb.Context) carrying tenant id: with the
// plugin installed, every statement and transaction run with it goes to
// id's database. It ends just before tb's cleanup runs, so a transaction
// left open with it ends with the test and holds no pool.
//
// As with [tenant.NewContext], the id is checked when it is used: an
// invalid one makes statements fail with [tenant.ErrInvalidID], which
// lets a test check just that.
func Context(tb testing.TB, id string) context.Context {
	return tenant.NewContext(tb.Context(), id)
}

// As runs fn as tenant id: with [Context] of tb, ended when fn returns.
func As(tb testing.TB, id string, fn func(ctx context.Context)) {
	tb.Helper()
	ctx, cancel := context.WithCancel(Context(tb, id))
	defer cancel()
	fn(ctx)
}
