package migrate

import (
	"database/sql"
	"fmt"
	"reflect"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	tenantplugin "github.com/tenantrouter/tenantplugin"
)

// openPlain opens a plain *gorm.DB (without the plugin) on a tenant's
// leased *sql.DB, with app's naming and migration settings and a schema
// cache of its own, where the join tables app set up for the steps'
// models (SetupJoinTable) are set up again. It returns nil for a
// dialector it does not know.
//
// GORM's migrator writes to the parsed schema it migrates (ParseIndexes
// marks a unique index's field): tenants migrated at once through one
// *gorm.DB would share those writes. Each tenant's migration runs on its
// own *gorm.DB, so nothing is shared.
func openPlain(app *gorm.DB, db *sql.DB, steps []step) (*gorm.DB, error) {
	var d gorm.Dialector
	switch orig := tenantplugin.OriginalDialector(app).(type) {
	case *postgres.Dialector:
		d = postgres.New(postgres.Config{Conn: db, PreferSimpleProtocol: orig.PreferSimpleProtocol, WithoutReturning: orig.WithoutReturning})
	case *sqlite.Dialector:
		d = &sqlite.Dialector{Conn: db}
	default:
		return nil, nil
	}
	plain, err := gorm.Open(d, &gorm.Config{
		NamingStrategy:                           app.NamingStrategy,
		Logger:                                   app.Logger,
		NowFunc:                                  app.NowFunc,
		DisableForeignKeyConstraintWhenMigrating: app.DisableForeignKeyConstraintWhenMigrating,
		IgnoreRelationshipsWhenMigrating:         app.IgnoreRelationshipsWhenMigrating,
		DisableAutomaticPing:                     true,
	})
	if err != nil {
		return nil, fmt.Errorf("migrate: opening the tenant's database: %w", err)
	}
	for _, st := range steps {
		if _, ok := st.model.(string); ok {
			continue
		}
		sch, err := parse(app, st.model)
		if err != nil {
			return nil, err
		}
		for _, rel := range sch.Relationships.Relations {
			// GORM's own join tables have unnamed struct types.
			if rel.Type != schema.Many2Many || rel.JoinTable == nil || rel.JoinTable.ModelType.Name() == "" {
				continue
			}
			model := reflect.New(sch.ModelType).Interface()
			join := reflect.New(rel.JoinTable.ModelType).Interface()
			if err := plain.SetupJoinTable(model, rel.Name, join); err != nil {
				return nil, fmt.Errorf("migrate: setting up the join table of %s.%s: %w", sch.Name, rel.Name, err)
			}
		}
	}
	return plain, nil
}
