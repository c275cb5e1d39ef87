package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/tenant"
)

var errNoPlugin = errors.New("migrate: the *gorm.DB has no tenantplugin installed")

// Apply runs step on every database it concerns: first each reserved
// database the step places tables on, one after the other, then every
// tenant of tenants, as the options say (at most [WithParallel] at
// once; [WithFailFast]). Each database's ledger is read first, within
// [WithConnectTimeout]: a database that does not answer in time is
// reported failed with [ErrUnreachable], and never holds up the run.
//
// A database whose ledger ([LedgerTable]) already records the step is
// left alone and reported [StatusUpToDate], at the cost of one query.
//
// A failing database does not stop the others unless WithFailFast is
// given. The error joins one *[tenant.Error] per failed tenant and one
// error naming the alias per failed reserved database; the [Report] says
// what happened to each. An invalid option, a step that cannot be
// prepared (a model GORM cannot parse, unreadable migration files) or a
// db without the plugin returns a nil Report and runs nothing.
func Apply(ctx context.Context, db *gorm.DB, tenants []string, step Step, opts ...Option) (*Report, error) {
	return eachDatabase(ctx, db, tenants, step, opts, prepared.apply)
}

// AutoMigrate is Apply with [Models](models...): GORM's AutoMigrate
// across the tenant and reserved databases.
func AutoMigrate(ctx context.Context, db *gorm.DB, tenants []string, models []any, opts ...Option) (*Report, error) {
	return Apply(ctx, db, tenants, Models(models...), opts...)
}

// Check tells, for each database Apply would run step on, whether it is
// behind, without changing anything: a database whose ledger has no row
// for the step, or one with another fingerprint (the models or the
// migration files changed since), is [StatusBehind] (for [Goose], one
// whose goose version is below the last migration's); the others are
// [StatusUpToDate]. It costs one query per database that is up to date.
// [Report.Behind] lists the databases behind.
//
// The error joins those of the databases that could not be read
// ([StatusFailed]), as Apply's does; a database behind is not an error.
// Options are Apply's.
func Check(ctx context.Context, db *gorm.DB, tenants []string, step Step, opts ...Option) (*Report, error) {
	return eachDatabase(ctx, db, tenants, step, opts, prepared.check)
}

// ApplyTo runs step's tenant part on one tenant's database, reached
// directly: tenantDB is a plain *gorm.DB (without the plugin) opened on
// that database with the application's gorm.Config, and db is the
// application's *gorm.DB with the plugin, whose strategies tell which
// tables are a tenant's. The ledger and the lock are Apply's, so a later
// Apply finds the database up to date. Provisioning uses it to build a
// tenant's database before any instance routes to it.
func ApplyTo(ctx context.Context, db, tenantDB *gorm.DB, step Step) (Status, error) {
	if step == nil {
		return StatusFailed, fmt.Errorf("migrate: ApplyTo: the step is nil")
	}
	if tenantDB == nil {
		return StatusFailed, fmt.Errorf("migrate: ApplyTo: tenantDB is nil")
	}
	if _, ok := tenantDB.Config.Plugins[tenantplugin.PluginName]; ok {
		return StatusFailed, fmt.Errorf("migrate: ApplyTo: tenantDB has the plugin installed; give a plain *gorm.DB opened on the tenant's database, or use Apply")
	}
	p, err := step.prepare(ctx, db)
	if err != nil {
		return StatusFailed, err
	}
	if !p.onTenants() {
		return StatusUpToDate, nil
	}
	t := target{db: tenantDB.WithContext(ctx), direct: true, sqlDB: func(context.Context) (*sql.DB, func(), error) {
		sqlDB, err := tenantDB.DB()
		return sqlDB, func() {}, err
	}}
	status, _, err := p.apply(ctx, t)
	return status, err
}

// Plan is what a step would do, as [Describe] tells it.
type Plan struct {
	// Reserved lists, by alias, what runs on each reserved database.
	Reserved map[string][]string
	// Tenant lists what runs on each tenant's database: "table NAME" for
	// each table AutoMigrate migrates, "func NAME@VERSION", "goose: ...".
	Tenant []string
}

// Describe tells what Apply would run with step, database by database,
// without connecting to any.
func Describe(ctx context.Context, db *gorm.DB, step Step) (Plan, error) {
	if step == nil {
		return Plan{}, fmt.Errorf("migrate: Describe: the step is nil")
	}
	p, err := step.prepare(ctx, db)
	if err != nil {
		return Plan{}, err
	}
	out := Plan{Reserved: map[string][]string{}}
	for _, alias := range p.aliases() {
		out.Reserved[alias] = p.describe(alias)
	}
	if p.onTenants() {
		out.Tenant = p.describe("")
	}
	return out, nil
}

// eachDatabase prepares step and runs one on each database it
// concerns: first the reserved databases, one after the other, then the
// tenants, as options say. It is what Apply and Check share.
func eachDatabase(ctx context.Context, db *gorm.DB, tenants []string, step Step, opts []Option,
	one func(p prepared, ctx context.Context, t target) (Status, string, error)) (*Report, error) {
	o, err := applyOptions(db, opts)
	if err != nil {
		return nil, err
	}
	if step == nil {
		return nil, fmt.Errorf("migrate: the step is nil")
	}
	if err := checkTenants(tenants); err != nil {
		return nil, err
	}
	p, err := step.prepare(ctx, db)
	if err != nil {
		return nil, err
	}
	run := newRun(ctx, o)
	report := &Report{}
	for _, alias := range p.aliases() {
		r := Result{Reserved: alias}
		if err := run.stopped(); err != nil {
			r.Status, r.Err = StatusSkipped, err
		} else {
			start := time.Now()
			exprs := []clause.Expression{reserved.Use(alias)}
			t := target{reserved: alias, db: db.WithContext(ctx), exprs: exprs}
			if t, err = o.ping(ctx, t); err == nil {
				r.Status, r.Detail, r.Err = one(p, ctx, t)
			} else {
				r.Status, r.Err = StatusFailed, err
			}
			r.Duration = time.Since(start)
			run.finished(r)
		}
		report.Results = append(report.Results, r)
		run.progress(r)
	}
	if p.onTenants() {
		tr := forEach(run, tenants, func(tctx context.Context) (Status, string, error) {
			t := target{db: db.WithContext(tctx), sqlDB: leaser(db)}
			t, err := o.ping(tctx, t)
			if err != nil {
				return StatusFailed, "", err
			}
			return one(p, tctx, t)
		})
		report.Results = append(report.Results, tr.Results...)
	}
	return report, report.err()
}

// checkTenants refuses a list with an invalid or repeated id, before
// anything runs.
func checkTenants(tenants []string) error {
	seen := make(map[string]bool, len(tenants))
	for _, id := range tenants {
		if err := tenant.ValidateID(id); err != nil {
			return fmt.Errorf("migrate: tenant %q: %w", id, err)
		}
		if seen[id] {
			return fmt.Errorf("migrate: tenant %q is listed twice", id)
		}
		seen[id] = true
	}
	return nil
}
