package migrate

import (
	"context"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/reserved"
)

// AutoMigrate migrates models: those the plugin's strategies send to a
// reserved alias once on that alias, the others on every tenant, as
// [ForEach] does. An invalid option, or a db without the plugin,
// returns a nil Report and migrates nothing.
func AutoMigrate(ctx context.Context, db *gorm.DB, tenants []string, models []any, opts ...Option) (*Report, error) {
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
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
		report.Results = append(report.Results, Result{Reserved: alias, Err: err, Duration: time.Since(start)})
	}
	if len(perTenant) > 0 {
		tr := forEach(ctx, db, tenants, func(_ context.Context, tdb *gorm.DB) error {
			// Associations of tenant models may point at reserved models,
			// which are migrated above on their own database: GORM must
			// not add them to the tenant's migration.
			tdb = tdb.Session(&gorm.Session{})
			tdb.Config.IgnoreRelationshipsWhenMigrating = true
			return tdb.AutoMigrate(perTenant...)
		}, o)
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
