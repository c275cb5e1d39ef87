// Package helpers has functions that return GORM chains.
package helpers

import (
	"context"

	"gorm.io/gorm"

	"example.com/app/helpers/repo"
)

type User struct{ ID uint }

type App struct {
	db    *gorm.DB
	store *repo.Store
}

func (a *App) base() *gorm.DB { // want base:`returns\(noctx\)`
	return a.db.Model(&User{})
}

func (a *App) tenantDB(ctx context.Context) *gorm.DB { // want tenantDB:`returns\(ctx\)`
	return a.db.WithContext(ctx)
}

func active(db *gorm.DB) *gorm.DB { // want active:`returns\(param\(0\)\)`
	return db.Where("active")
}

func (a *App) via() *gorm.DB { // want via:`returns\(noctx\)`
	return active(a.base())
}

func (a *App) named() (db *gorm.DB, err error) { // want named:`returns\(noctx, unknown\)`
	db = a.db
	return
}

// A parameter may be anything: no fact is exported for unknown.
func opaque(f func() *gorm.DB) *gorm.DB { return f() }

func (a *App) samePackage(ctx context.Context) {
	var users []User
	a.base().Find(&users) // want `Find on a GORM chain without a context`
	a.tenantDB(ctx).Find(&users)
	active(a.db).Find(&users) // want `Find on a GORM chain without a context`
	active(a.db.WithContext(ctx)).Find(&users)
	active(a.tenantDB(ctx)).Find(&users)
	a.via().Find(&users) // want `Find on a GORM chain without a context`
	db, _ := a.named()
	db.Find(&users) // want `Find on a GORM chain without a context`
	opaque(a.base).Find(&users)
	q := a.base().Where("x")
	q.Find(&users) // want `Find on a GORM chain without a context`
}

func (a *App) otherPackage(ctx context.Context) {
	var users []User
	a.store.Root().Find(&users) // want `Find on a GORM chain without a context`
	a.store.Ctx(ctx).Find(&users)
	repo.Scoped(a.db, false).Find(&users) // want `Find on a GORM chain without a context`
	repo.Scoped(a.db.WithContext(ctx), true).Find(&users)
	c, n, _ := a.store.Pair(ctx)
	c.Find(&users)
	n.Find(&users) // want `Find on a GORM chain without a context`
}
