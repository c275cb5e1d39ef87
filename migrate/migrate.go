package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// Result is what happened to one tenant, or to one reserved alias
// (Tenant is then "reserved:<alias>").
type Result struct {
	Tenant   string
	Err      error
	Duration time.Duration
}

// Report lists the results, tenants in the order given.
type Report struct {
	Results []Result
}

// Failed returns the results with an error.
func (r *Report) Failed() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Err != nil {
			out = append(out, res)
		}
	}
	return out
}

// Option configures a run.
type Option func(*options)

type options struct{ parallel int }

// WithParallel runs n tenants at once (default 1).
func WithParallel(n int) Option {
	return func(o *options) { o.parallel = n }
}

// Run calls fn once for each tenant, with the tenant in ctx and db bound
// to that context.
func Run(ctx context.Context, db *gorm.DB, tenants []string, fn func(ctx context.Context, db *gorm.DB) error, opts ...Option) (*Report, error) {
	o := options{parallel: 1}
	for _, opt := range opts {
		opt(&o)
	}
	if o.parallel < 1 {
		return nil, fmt.Errorf("migrate: WithParallel(%d): must be at least 1", o.parallel)
	}
	report := &Report{Results: make([]Result, len(tenants))}
	sem := make(chan struct{}, o.parallel)
	var wg sync.WaitGroup
	for i, id := range tenants {
		report.Results[i].Tenant = id
		if err := ctx.Err(); err != nil {
			report.Results[i].Err = err
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			tctx := tenant.NewContext(ctx, id)
			err := fn(tctx, db.WithContext(tctx))
			report.Results[i].Duration = time.Since(start)
			report.Results[i].Err = err
		}()
	}
	wg.Wait()
	return report, report.err()
}

func (r *Report) err() error {
	var errs []error
	for _, res := range r.Results {
		if res.Err != nil {
			errs = append(errs, &tenant.Error{ID: res.Tenant, Err: res.Err})
		}
	}
	return errors.Join(errs...)
}

// AutoMigrate migrates models: those the plugin's strategies send to a
// reserved alias once on that alias, the others on every tenant.
func AutoMigrate(ctx context.Context, db *gorm.DB, tenants []string, models []any, opts ...Option) (*Report, error) {
	byAlias := map[string][]any{}
	var aliases []string
	var perTenant []any
	for _, m := range models {
		route, ok := tenantplugin.RouteOf(db, tenantplugin.Statement{
			Context: ctx, Op: tenantplugin.OpMigrate, Model: m, Table: tableOf(db, m),
		})
		if !ok {
			return nil, errors.New("migrate: the *gorm.DB has no tenantplugin installed")
		}
		if alias, isReserved := route.Alias(); isReserved {
			if _, seen := byAlias[alias]; !seen {
				aliases = append(aliases, alias)
			}
			byAlias[alias] = append(byAlias[alias], m)
			continue
		}
		perTenant = append(perTenant, m)
	}
	slices.Sort(aliases)
	report := &Report{}
	for _, alias := range aliases {
		start := time.Now()
		err := db.WithContext(ctx).Clauses(reserved.Use(alias)).AutoMigrate(byAlias[alias]...)
		report.Results = append(report.Results, Result{Tenant: tenantplugin.ReservedRoute(alias).String(), Err: err, Duration: time.Since(start)})
	}
	if len(perTenant) > 0 {
		tr, err := Run(ctx, db, tenants, func(_ context.Context, tdb *gorm.DB) error {
			// Associations of tenant models may point at reserved models,
			// which are migrated above on their own database: GORM must
			// not add them to the tenant's migration.
			tdb = tdb.Session(&gorm.Session{})
			tdb.Config.IgnoreRelationshipsWhenMigrating = true
			return tdb.AutoMigrate(perTenant...)
		}, opts...)
		if tr == nil {
			return nil, err
		}
		report.Results = append(report.Results, tr.Results...)
	}
	return report, report.err()
}

// tableOf returns a model's table under db's naming strategy, or "".
func tableOf(db *gorm.DB, model any) string {
	stmt := &gorm.Statement{DB: db}
	if err := stmt.Parse(model); err != nil || stmt.Schema == nil {
		return ""
	}
	return stmt.Schema.Table
}
