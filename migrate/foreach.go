package migrate

import (
	"context"

	"gorm.io/gorm"
)

// ForEach calls fn once for each tenant, with the tenant in ctx and db
// bound to that context, at most WithParallel tenants at once: a nightly
// job, a report, a data fix. A failing tenant does not stop the others
// unless WithFailFast is given; once ctx ends, the tenants not yet
// started are [StatusSkipped] with ctx's error. The error joins one
// *[tenant.Error] per failed tenant. An invalid option or tenant id
// returns a nil Report and calls fn for no tenant.
//
// ForEach keeps no ledger: fn runs every time, and a tenant whose fn
// returns nil is [StatusMigrated].
func ForEach(ctx context.Context, db *gorm.DB, tenants []string, fn func(ctx context.Context, db *gorm.DB) error, opts ...Option) (*Report, error) {
	o, err := applyOptions(db, opts)
	if err != nil {
		return nil, err
	}
	if err := checkTenants(tenants); err != nil {
		return nil, err
	}
	report := forEach(newRun(ctx, o), tenants, func(ctx context.Context) (Status, string, error) {
		return StatusMigrated, "", fn(ctx, db.WithContext(ctx))
	})
	return report, report.err()
}
