package tenantplugin_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// TestRedTeam9RefusedStatementKeepsItsTransaction: a statement refused
// inside a transaction had the transaction taken off its *gorm.DB (the
// refusal installs a pool that refuses everything, and the callback run
// after the statement then puts back the *gorm.DB's own pool). Commit
// and Rollback on that *gorm.DB then fail with ErrInvalidTransaction,
// and the transaction, its connection and the tenant pool's lease stay
// held until the context ends (never, for context.Background). Here, a
// *gorm.DB of a transaction kept from a chain (tx.Where(...)), rolled
// back after a refused statement; in plain GORM a failed statement
// leaves the transaction where it was. Expected: the refusal, and the
// transaction rolled back, its rows gone and its connection released.
func TestRedTeam9RefusedStatementKeepsItsTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		a := e.Tenants[0]
		ctx, cancel := context.WithCancel(tenant.NewContext(context.Background(), a))
		defer cancel() // the transaction must end before it does
		db := e.DB.WithContext(ctx)

		tx := db.Begin()
		if err := tx.Create(&Note{Tenant: a, Body: "r9-chain"}).Error; err != nil {
			t.Fatal(err)
		}
		q := tx.Where("1 = 1")
		err := q.Create(&RTClinic{Name: "r9-chain"}).Error
		if !errors.Is(err, tenantplugin.ErrCrossDatabase) {
			t.Errorf("central row in a tenant transaction: err = %v, want ErrCrossDatabase", err)
		}
		if err := q.Rollback().Error; errors.Is(err, gorm.ErrInvalidTransaction) {
			t.Errorf("Rollback after the refusal: %v", err)
		}
		if n := e.Resolver.Stats().Pools[a].InUse; n != 0 {
			t.Errorf("%d connections of tenant %s still in use after Rollback", n, a)
		}
		var n int64
		if err := db.Model(&Note{}).Where("body = ?", "r9-chain").Count(&n).Error; err != nil || n != 0 {
			t.Errorf("rows of the rolled back transaction: %d (err %v)", n, err)
		}
		if n := centralCount(t, e, "SELECT count(*) FROM rt_clinics WHERE name = 'r9-chain'"); n != 0 {
			t.Errorf("%d central rows written", n)
		}
	})
}
