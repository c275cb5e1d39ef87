package basic

import (
	"context"

	"gorm.io/gorm"
)

// Repo embeds the application's *gorm.DB: a field, a root without
// context.
type Repo struct {
	*gorm.DB
	name string
}

func (r *Repo) list(ctx context.Context) {
	var users []User
	r.Find(&users)                           // want `Find on a GORM chain without a context`
	r.Where("name = ?", r.name).Find(&users) // want `Find on a GORM chain without a context`
	r.WithContext(ctx).Find(&users)
	r.Transaction(func(tx *gorm.DB) error { // want `Transaction on a GORM chain without a context`
		return tx.Create(&User{}).Error
	})
	r.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return tx.Create(&User{}).Error
	})
}

// A struct that this package fills with a chain that has a context.
type scoped struct{ *gorm.DB }

func newScoped(ctx context.Context, db *gorm.DB) scoped { return scoped{db.WithContext(ctx)} }

func (s scoped) list(ctx context.Context) {
	var users []User
	s.Find(&users)
}
