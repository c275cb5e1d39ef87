package migrate

import (
	"errors"
	"fmt"
	"time"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// Result is what happened on one database: a tenant's, or a reserved
// one. Exactly one of Tenant and Reserved is set.
type Result struct {
	// Tenant is the tenant id, "" for a reserved database.
	Tenant string
	// Reserved is the reserved database's alias
	// ([tenantplugin.Config].ReservedPools), "" for a tenant.
	Reserved string
	// Status says what happened: migrated, up to date, failed or
	// skipped ([Check]: up to date, behind or failed).
	Status Status
	// Err is what fn or the migration returned, or the context's error
	// for a tenant not started because ctx ended.
	Err      error
	Duration time.Duration
	// Detail says more, when the step has more to say: the goose
	// version a database is at ("goose version 1 of 3").
	Detail string
}

// Report lists the results: reserved databases first, by alias, then
// tenants in the order given.
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

// Behind returns the results of the databases [Check] found behind.
func (r *Report) Behind() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Status == StatusBehind {
			out = append(out, res)
		}
	}
	return out
}

// err joins one error per failed result: a *tenant.Error for a tenant,
// one naming the alias for a reserved database.
func (r *Report) err() error {
	var errs []error
	for _, res := range r.Results {
		switch {
		case res.Err == nil:
		case res.Reserved != "":
			errs = append(errs, fmt.Errorf("migrate: reserved database %q: %w", res.Reserved, res.Err))
		default:
			errs = append(errs, &tenant.Error{ID: res.Tenant, Err: res.Err})
		}
	}
	return errors.Join(errs...)
}
