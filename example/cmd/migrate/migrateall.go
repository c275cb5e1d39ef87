package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/migrate"
)

// migrateAll reads the tenants, checks the targets, and migrates them
// (or checks them, or prints the plan), reporting to out. It returns
// errIncomplete, wrapped, when some database was not migrated (or is
// behind); the summary says which.
func migrateAll(ctx context.Context, s settings, out *output) (err error) {
	src, err := readTenants(ctx, s)
	if err != nil {
		return err
	}
	ids, err := src.targets(s.tenants)
	if err != nil {
		return err
	}
	for _, id := range ids {
		out.sc.addDatabase(src.byID[id].db)
	}
	if s.embedded() && !s.readOnly() {
		if err := (sqliteFiles{dir: s.dataDir}).make(); err != nil {
			return err
		}
	}
	a, err := openApp(s)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.close()) }()

	// A tenant whose config cannot be used is reported failed, with the
	// reason; the others are migrated only with --continue-on-error.
	var refused []migrate.Result
	var ready []string
	for _, id := range ids {
		e := src.byID[id]
		if e.err == nil {
			e.err = a.set(ctx, id, e.db)
		}
		if e.err != nil {
			refused = append(refused, migrate.Result{Tenant: id, Status: migrate.StatusFailed, Err: fmt.Errorf("config: %w", e.err)})
			continue
		}
		ready = append(ready, id)
	}

	step := migrate.Models(hospital.Models()...)
	if s.gooseDir != "" {
		step = migrate.Sequence(step, migrate.Goose(os.DirFS(s.gooseDir)))
	}
	plan, err := migrate.Describe(ctx, a.db, step)
	if err != nil {
		return err
	}
	if s.dryRun {
		out.plan(plan, src.where, ready, refused)
		if len(refused) > 0 {
			return fmt.Errorf("%w: %d tenant configs refused", errIncomplete, len(refused))
		}
		return nil
	}

	names := make([]string, 0, len(plan.Reserved)+len(ids))
	for alias := range plan.Reserved {
		names = append(names, "reserved:"+alias)
	}
	out.begin(append(names, ids...), s.check)
	for _, r := range refused {
		out.progress(r)
	}
	opts := []migrate.Option{
		migrate.WithParallel(s.parallel),
		migrate.WithConnectTimeout(s.connectTimeout),
		migrate.WithProgress(out.progress),
	}
	var report *migrate.Report
	switch {
	case s.check:
		// Reading changes nothing: every database is read, whatever
		// --continue-on-error says.
		report, err = migrate.Check(ctx, a.db, ready, step, opts...)
	case len(refused) > 0 && !s.continueOnError:
		report = notStarted(plan, ready, errRefusedFirst)
		for _, r := range report.Results {
			out.progress(r)
		}
	default:
		if !s.continueOnError {
			opts = append(opts, migrate.WithFailFast())
		}
		report, err = migrate.Apply(ctx, a.db, ready, step, opts...)
	}
	out.end()
	if report == nil {
		return err
	}
	results := slices.Concat(refused, report.Results)
	// Reserved databases first, by alias; then tenants, by id.
	tenantRank := func(r migrate.Result) int {
		if r.Reserved != "" {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(results, func(x, y migrate.Result) int {
		return cmp.Or(cmp.Compare(tenantRank(x), tenantRank(y)),
			cmp.Compare(x.Reserved, y.Reserved), cmp.Compare(x.Tenant, y.Tenant))
	})
	out.summary(results)
	var bad int
	for _, r := range results {
		if r.Status != migrate.StatusMigrated && r.Status != migrate.StatusUpToDate {
			bad++
		}
	}
	if bad == 0 {
		return nil
	}
	if s.check {
		return fmt.Errorf("%w: %d of %d databases behind or unreadable", errIncomplete, bad, len(results))
	}
	return fmt.Errorf("%w: %d of %d databases not migrated", errIncomplete, bad, len(results))
}

// errRefusedFirst is why nothing started: without --continue-on-error,
// a refused tenant config stops the run before any database is touched.
var errRefusedFirst = errors.New("not started: a tenant's config is refused (--continue-on-error migrates the others)")

// notStarted reports every database of the plan skipped, with err.
func notStarted(plan migrate.Plan, tenants []string, err error) *migrate.Report {
	r := &migrate.Report{}
	for _, alias := range slices.Sorted(maps.Keys(plan.Reserved)) {
		r.Results = append(r.Results, migrate.Result{Reserved: alias, Status: migrate.StatusSkipped, Err: err})
	}
	for _, id := range tenants {
		r.Results = append(r.Results, migrate.Result{Tenant: id, Status: migrate.StatusSkipped, Err: err})
	}
	return r
}
