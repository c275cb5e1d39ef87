// Package closures has function literals and transaction callbacks.
package closures

import (
	"context"
	"net/http"

	"gorm.io/gorm"
)

type User struct{ ID uint }

type App struct{ db *gorm.DB }

// A closure sees the context of the function it is in.
func (a *App) inside(ctx context.Context) {
	var users []User
	load := func() error {
		return a.db.Find(&users).Error // want `Find on a GORM chain without a context: the statement has no tenant; add .WithContext\(ctx\)`
	}
	_ = load()
	go func() {
		a.db.WithContext(ctx).Find(&users)
	}()
}

// A handler built from a *gorm.DB parameter keeps it: the parameter is a
// stored root, like a field.
func Handler(db *gorm.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var users []User
		db.Find(&users) // want `Find on a GORM chain without a context: the statement has no tenant; add .WithContext\(r.Context\(\)\)`
		db.WithContext(r.Context()).Find(&users)
	}
}

// The same for a task handler taking a context.
func Task(db *gorm.DB) func(context.Context, []byte) error {
	return func(ctx context.Context, payload []byte) error {
		return db.Create(&User{}).Error // want `Create on a GORM chain without a context`
	}
}

// A closure without a context of its own, inside a function that has one
// and a *gorm.DB parameter: the parameter may carry the context.
func withParam(ctx context.Context, db *gorm.DB) {
	var users []User
	func() { db.Find(&users) }()
}

// The transaction's tx inherits the context of the chain Transaction was
// called on.
func (a *App) transaction(ctx context.Context) error {
	return a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&User{}).Error; err != nil {
			return err
		}
		return tx.Transaction(func(tx2 *gorm.DB) error {
			var users []User
			return tx2.Where("id > 0").Find(&users).Error
		})
	})
}

// A Transaction without a context is reported once: its tx is not.
func (a *App) transactionNoCtx(ctx context.Context) error {
	return a.db.Transaction(func(tx *gorm.DB) error { // want `Transaction on a GORM chain without a context`
		if err := tx.Create(&User{}).Error; err != nil {
			return err
		}
		return tx.Transaction(func(tx2 *gorm.DB) error {
			return tx2.Create(&User{}).Error
		})
	})
}

// Using the outer root inside the callback is still reported.
func (a *App) outerInCallback(ctx context.Context) error {
	return a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return a.db.Create(&User{}).Error // want `Create on a GORM chain without a context`
	})
}

// A Transaction without a context where none is at hand: neither it nor
// its tx is reported.
func (a *App) startup() error {
	return a.db.Transaction(func(tx *gorm.DB) error {
		return tx.Create(&User{}).Error
	})
}

// FindInBatches hands its batch session on like Transaction.
func (a *App) batches(ctx context.Context) {
	var users []User
	a.db.WithContext(ctx).FindInBatches(&users, 100, func(tx *gorm.DB, batch int) error {
		return tx.Save(&users).Error
	})
}

// A callback that is not a literal: its parameter is not followed.
func (a *App) named(ctx context.Context) error {
	return a.db.WithContext(ctx).Transaction(work)
}

func work(tx *gorm.DB) error { return tx.Create(&User{}).Error }

// The transaction's tx keeps its context inside a closure that takes a
// context of its own.
func (a *App) txInClosure(ctx context.Context, ids []uint) error {
	return a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return each(ctx, ids, func(ctx context.Context, id uint) error {
			return tx.Create(&User{ID: id}).Error
		})
	})
}

func each(ctx context.Context, ids []uint, f func(context.Context, uint) error) error {
	for _, id := range ids {
		if err := f(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
