// Package routed sends statements to a reserved alias explicitly.
package routed

import (
	"context"
	"database/sql"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/reserved"
)

type Plan struct{ ID uint }

type App struct{ db *gorm.DB }

func (a *App) central(ctx context.Context) error {
	var plans []Plan
	a.db.Clauses(reserved.Use("central")).Find(&plans)
	a.db.Model(&Plan{}).Clauses(reserved.Use(tenantplugin.DefaultAlias)).Where("id > 0").Find(&plans)
	q := a.db.Clauses(reserved.Use("central"))
	q.Find(&plans)
	a.db.Clauses(reserved.Use("central")).AutoMigrate(&Plan{})
	a.db.Clauses(reserved.Use("central")).Migrator().HasTable("plans")
	return a.db.Clauses(reserved.Use("central")).Transaction(func(tx *gorm.DB) error {
		return tx.Create(&Plan{}).Error
	})
}

// Other clauses do not route.
func (a *App) otherClause(ctx context.Context) {
	var plans []Plan
	a.db.Clauses().Find(&plans) // want `Find on a GORM chain without a context`
}

// AdoptTx to a reserved route needs no tenant; to the tenant's route it
// needs the chain's context.
func (a *App) adopted(ctx context.Context, tx *sql.Tx) {
	tenantplugin.AdoptTx(a.db, tx, tenantplugin.ReservedRoute("central")).Create(&Plan{})
	tenantplugin.AdoptTx(a.db.WithContext(ctx), tx, tenantplugin.TenantRoute()).Create(&Plan{})
	tenantplugin.AdoptTx(a.db, tx, tenantplugin.TenantRoute()).Create(&Plan{}) // want `Create on a GORM chain without a context`
}
