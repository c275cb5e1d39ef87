package migrate

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// ForEach calls fn once for each tenant, with the tenant in ctx and db
// bound to that context, at most WithParallel tenants at once. A failing
// tenant does not stop the others; once ctx ends, the tenants not yet
// started get ctx's error. The error joins one *[tenant.Error] per failed
// tenant. An invalid option returns a nil Report and calls fn for no
// tenant.
func ForEach(ctx context.Context, db *gorm.DB, tenants []string, fn func(ctx context.Context, db *gorm.DB) error, opts ...Option) (*Report, error) {
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	report := forEach(ctx, db, tenants, func(ctx context.Context, db *gorm.DB) (Status, error) {
		return StatusMigrated, fn(ctx, db)
	}, o, newProgress(o))
	return report, report.err()
}

// forEach runs fn for each tenant; fn's status is kept when it returns
// nil, and a tenant whose fn fails is StatusFailed. Each finished tenant
// is reported to prog.
func forEach(ctx context.Context, db *gorm.DB, tenants []string, fn func(ctx context.Context, db *gorm.DB) (Status, error), o options, prog *progress) *Report {
	report := &Report{Results: make([]Result, len(tenants))}
	sem := make(chan struct{}, o.parallel)
	var wg sync.WaitGroup
	for i, id := range tenants {
		report.Results[i].Tenant = id
		if err := ctx.Err(); err != nil {
			report.Results[i].Status = StatusSkipped
			report.Results[i].Err = err
			prog.done(report.Results[i])
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			tctx := tenant.NewContext(ctx, id)
			status, err := fn(tctx, db.WithContext(tctx))
			if err != nil {
				status = StatusFailed
			}
			r := &report.Results[i]
			r.Duration = time.Since(start)
			r.Status, r.Err = status, err
			prog.done(*r)
		}()
	}
	wg.Wait()
	return report
}
