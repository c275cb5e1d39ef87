package migrate

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// leaser returns how a step reaches the *sql.DB of the tenant in its
// context: a
// lease from db's resolver, released after the step.
func leaser(db *gorm.DB) func(context.Context) (*sql.DB, func(), error) {
	return func(ctx context.Context) (*sql.DB, func(), error) {
		id, ok := tenant.FromContext(ctx)
		if !ok {
			return nil, nil, tenant.ErrMissing
		}
		res, _ := tenantplugin.ResolverOf(db)
		r, ok := res.(*resolver.Resolver)
		if !ok {
			return nil, nil, fmt.Errorf("migrate: tenant %q: this step needs the tenant's *sql.DB, which only a *resolver.Resolver leases; the plugin's resolver is %T", id, res)
		}
		l, err := r.Lease(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		return l.DB(), l.Release, nil
	}
}
