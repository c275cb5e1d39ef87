package tenantplugin_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// R9RawAudited is central; creating one writes a tenant model's row
// (rt_patients) with raw SQL from its AfterCreate hook, inside GORM's
// implicit transaction on the central database.
type R9RawAudited struct {
	ID   uint
	Name string
}

func (a *R9RawAudited) AfterCreate(tx *gorm.DB) error {
	return tx.Exec("INSERT INTO rt_patients (name) VALUES (?)", "raw-"+a.Name).Error
}

// R9Nested is central; its AfterCreate hook runs a nested transaction
// (a savepoint in GORM's implicit transaction on the central database)
// that writes a ward and rolls back to its savepoint.
type R9Nested struct {
	ID   uint
	Name string
}

func (n *R9Nested) AfterCreate(tx *gorm.DB) error {
	_ = tx.Transaction(func(tx2 *gorm.DB) error {
		if err := tx2.Create(&RTWard{Name: "r9-undone"}).Error; err != nil {
			return err
		}
		return errors.New("undo")
	})
	return nil
}

// TestRedTeam9NoTextRoutingRawInReservedTransaction: with
// Config.NoTextRouting, raw statements "go to the tenant unless
// reserved.Use says otherwise" (README): outside a transaction, one
// without a tenant fails with tenant.ErrMissing. Inside a transaction
// on a reserved database not begun under reserved.Use (GORM's implicit
// transaction of a central model, here its hook's Exec), the same raw
// statement without a tenant was let through: a tenant table's row
// written into the central database. Expected: refused (tenant.ErrMissing
// or ErrCrossDatabase), no row in the central database; savepoints in
// such a transaction still work.
func TestRedTeam9NoTextRoutingRawInReservedTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		strategies := append(rtStrategies(), reserved.Models(tenantplugin.DefaultAlias, &R9RawAudited{}, &R9Nested{}))
		e := rtEnv(t, b, fixture.Options{Tenants: 1, Strategies: strategies, NoTextRouting: true})
		if err := e.DB.AutoMigrate(&R9RawAudited{}, &R9Nested{}); err != nil {
			t.Fatal(err)
		}
		err := e.DB.Exec("INSERT INTO rt_patients (name) VALUES (?)", "raw-outside").Error
		if !errors.Is(err, tenant.ErrMissing) {
			t.Errorf("raw statement outside a transaction, no tenant: err = %v, want tenant.ErrMissing", err)
		}
		err = e.DB.Create(&R9RawAudited{Name: "hook"}).Error
		if !errors.Is(err, tenant.ErrMissing) && !errors.Is(err, tenantplugin.ErrCrossDatabase) {
			t.Errorf("raw statement in a central model's transaction, no tenant: err = %v, want tenant.ErrMissing or ErrCrossDatabase", err)
		}
		if n := centralCount(t, e, `SELECT count(*) FROM rt_patients`); n != 0 {
			t.Errorf("the central database holds %d rows of the tenant table rt_patients", n)
		}

		// The savepoints of a nested transaction in the same kind of
		// transaction are the plugin's, not the application's raw SQL.
		if err := e.DB.Create(&R9Nested{Name: "outer"}).Error; err != nil {
			t.Fatalf("nested transaction in a central model's transaction: %v", err)
		}
		if n := centralCount(t, e, `SELECT count(*) FROM rt_wards WHERE name = 'r9-undone'`); n != 0 {
			t.Errorf("the nested transaction's ward was not rolled back to its savepoint")
		}
		if n := centralCount(t, e, `SELECT count(*) FROM r9_nesteds`); n != 1 {
			t.Errorf("%d r9_nesteds rows, want 1", n)
		}
	})
}

// r9CentralTx marks a context whose transactions a strategy begins on
// the central database.
type r9CentralTx struct{}

// TestRedTeam9NoTextRoutingRawInDirectReservedTransaction is
// TestRedTeam9NoTextRoutingRawInReservedTransaction for a transaction
// begun on the router's own pool by code outside GORM (sqlc-style), on
// the central database because a strategy sends its begin there: with
// Config.NoTextRouting its raw statements go to the tenant, not into
// that transaction, without a tenant as with one.
func TestRedTeam9NoTextRoutingRawInDirectReservedTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		central := tenantplugin.StrategyFunc(func(s tenantplugin.Statement) (tenantplugin.Route, bool) {
			if s.Op == tenantplugin.OpBegin && s.Context.Value(r9CentralTx{}) != nil {
				return tenantplugin.ReservedRoute(tenantplugin.DefaultAlias), true
			}
			return tenantplugin.Route{}, false
		})
		e := rtEnv(t, b, fixture.Options{Tenants: 1, Strategies: append(rtStrategies(), central), NoTextRouting: true})
		ctx := context.WithValue(context.Background(), r9CentralTx{}, true)
		c, err := e.DB.ConnPool.(gorm.ConnPoolBeginner).BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ExecContext(ctx, "INSERT INTO rt_patients (name) VALUES ('direct')")
		if !errors.Is(err, tenant.ErrMissing) && !errors.Is(err, tenantplugin.ErrCrossDatabase) {
			t.Errorf("raw statement in a direct transaction on the central database, no tenant: err = %v, want tenant.ErrMissing or ErrCrossDatabase", err)
		}
		if err := c.(gorm.TxCommitter).Commit(); err != nil {
			t.Fatal(err)
		}
		if n := centralCount(t, e, `SELECT count(*) FROM rt_patients`); n != 0 {
			t.Errorf("the central database holds %d rows of the tenant table rt_patients", n)
		}
	})
}
