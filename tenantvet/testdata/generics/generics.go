// Package generics uses GORM's generics API, whose finishers take the
// statement's context as first argument.
package generics

import (
	"context"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/reserved"
)

type User struct {
	ID   uint
	Name string
}

type App struct{ db *gorm.DB }

func (a *App) given(ctx context.Context) error {
	if _, err := gorm.G[User](a.db).Where("name = ?", "a").Find(ctx); err != nil {
		return err
	}
	if err := gorm.G[User](a.db).Create(ctx, &User{}); err != nil {
		return err
	}
	q := gorm.G[User](a.db).Where("id > ?", 1)
	if _, err := q.Count(ctx, "id"); err != nil {
		return err
	}
	var n int
	if err := gorm.G[User](a.db).Raw("SELECT 1").Scan(ctx, &n); err != nil {
		return err
	}
	return gorm.G[User](a.db).Exec(ctx, "DELETE FROM users")
}

// context.Background() and TODO carry no tenant, and the finisher's
// context replaces the chain's: even a chain given ctx loses it.
func (a *App) background(ctx context.Context) {
	_, _ = gorm.G[User](a.db).Where("name = ?", "a").First(context.Background()) // want `First given context.Background\(\), which carries no tenant: pass ctx`
	_, _ = gorm.G[User](a.db.WithContext(ctx)).Find(context.TODO())              // want `Find given context.TODO\(\)`
	_ = gorm.G[User](a.db).Exec(context.Background(), "DELETE FROM users")       // want `Exec given context.Background\(\)`
	q := gorm.G[User](a.db).Where("id > ?", 1)
	_, _ = q.Delete(context.Background()) // want `Delete given context.Background\(\)`
}

// A nil context keeps the chain's own.
func (a *App) nilCtx(ctx context.Context) {
	_, _ = gorm.G[User](a.db).Find(nil) // want `Find given nil`
	_, _ = gorm.G[User](a.db.WithContext(ctx)).Find(nil)
}

// A route to a reserved alias needs no tenant.
func (a *App) reserved(ctx context.Context) {
	_, _ = gorm.G[User](a.db, reserved.Use("central")).Find(context.Background())
}

// Without a context at hand: not reported.
func (a *App) noContext() {
	_, _ = gorm.G[User](a.db).Find(context.Background())
}
