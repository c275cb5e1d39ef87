// Package vars has chains kept in local variables.
package vars

import (
	"context"

	"gorm.io/gorm"
)

type User struct {
	ID   uint
	Name string
}

type Repo struct{ db *gorm.DB }

func (r *Repo) stored(ctx context.Context, name string) {
	var users []User
	q := r.db.Model(&User{})
	if name != "" {
		q = q.Where("name = ?", name)
	}
	q = q.Order("id")
	q.Find(&users) // want `Find on a GORM chain without a context`
	var n int64
	q.Count(&n) // want `Count on a GORM chain without a context`
}

func (r *Repo) given(ctx context.Context) {
	var users []User
	q := r.db.WithContext(ctx)
	q = q.Where("name = ?", "a")
	q.Find(&users)
	var p *gorm.DB = r.db.WithContext(ctx).Model(&User{})
	p.Find(&users)
}

// A variable that has a context on one path and not on the other may
// have it: not reported.
func (r *Repo) oneOfTwo(ctx context.Context, on bool) {
	var users []User
	q := r.db
	if on {
		q = q.WithContext(ctx)
	}
	q.Find(&users)
}

// Reassigned with a context before use: the analysis does not follow the
// order of statements, and the variable may have a context: not
// reported.
func (r *Repo) reassigned(ctx context.Context) {
	var users []User
	db := r.db
	db = db.WithContext(ctx)
	db.Find(&users)
}

// Every value lacks a context, over several variables.
func (r *Repo) copies(ctx context.Context, on bool) {
	var users []User
	a := r.db.Where("a")
	b := a
	if on {
		b = r.db.Where("b")
	}
	c := b.Limit(1)
	c.Find(&users) // want `Find on a GORM chain without a context`
}

// A cycle of variables that only pass the chain on.
func (r *Repo) cycle(ctx context.Context, n int) {
	var users []User
	a := r.db
	b := a
	for range n {
		a = b.Where("x")
		b = a.Limit(1)
	}
	b.Find(&users) // want `Find on a GORM chain without a context`
}

// A variable whose address is taken may be set anywhere: not reported.
func (r *Repo) addressed(ctx context.Context) {
	var users []User
	q := r.db
	set(ctx, &q)
	q.Find(&users)
}

func set(ctx context.Context, q **gorm.DB) { *q = (*q).WithContext(ctx) }

// Values the analysis does not follow are not reported.
func (r *Repo) opaque(ctx context.Context, m map[string]*gorm.DB, dbs []*gorm.DB) {
	var users []User
	q, ok := m["x"]
	if ok {
		q.Find(&users)
	}
	for _, d := range dbs {
		d.Find(&users)
	}
	m["y"].Find(&users)
}

// A session begun without a context is reported once, at Begin.
func (r *Repo) begin(ctx context.Context) error {
	tx := r.db.Begin() // want `Begin on a GORM chain without a context`
	if err := tx.Create(&User{}).Error; err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit().Error
}

// A session begun with a context carries it.
func (r *Repo) beginCtx(ctx context.Context) error {
	tx := r.db.WithContext(ctx).Begin()
	if err := tx.Create(&User{}).Error; err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit().Error
}

// A local from gorm.Open, used in a function with a context.
func openAndUse(ctx context.Context, d gorm.Dialector, p gorm.Plugin) {
	db, _ := gorm.Open(d)
	_ = db.Use(p)
	var users []User
	db.Find(&users) // want `Find on a GORM chain without a context`
	tdb := db.WithContext(ctx)
	tdb.Find(&users)
}
