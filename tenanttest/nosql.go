package tenanttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// NoSQLWithoutTenant runs fn with a context that carries no tenant (tb's
// context) and fails tb, with tb.Errorf, when fn sent any statement to
// any of env's databases, tenant or reserved (listing the first ones and
// where they went), or when fn's error does not wrap
// [tenant.ErrMissing]. It is how to show that code refuses to run
// without a tenant before anything reaches a database: a handler, a
// task, a repository method.
//
// Statements are counted on every pool of env, below GORM and the
// plugin, so a statement sent on a reserved route (a central model's
// query that needs no tenant) counts too. Nothing else may use env's
// databases while fn runs: their statements would be counted as fn's.
func NoSQLWithoutTenant(tb testing.TB, env *Env, fn func(ctx context.Context) error) {
	tb.Helper()
	if env == nil || fn == nil {
		tb.Fatal("tenanttest: NoSQLWithoutTenant: nil Env or function")
	}
	ctx := tb.Context()
	if id, ok := tenant.FromContext(ctx); ok {
		tb.Fatalf("tenanttest: NoSQLWithoutTenant: the test's context carries tenant %q", id)
	}
	before := env.Sent()
	stop := env.counter.record()
	err := fn(ctx)
	rec := stop()
	if diff := env.Sent().Sub(before); diff.Total() != 0 {
		tb.Errorf("tenanttest: %d statements sent without a tenant (%s)%s", diff.Total(), diff, rec.report())
	}
	if !errors.Is(err, tenant.ErrMissing) {
		tb.Errorf("tenanttest: without a tenant, the function returned %v; want an error wrapping tenant.ErrMissing", err)
	}
}

// report lists the statements recorded, the first maxRecorded of them.
func (r *recording) report() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, s := range r.seen {
		fmt.Fprintf(&b, "\n\t%s: %s", s.where, s.query)
	}
	if r.total > len(r.seen) {
		fmt.Fprintf(&b, "\n\t... and %d more", r.total-len(r.seen))
	}
	return b.String()
}
