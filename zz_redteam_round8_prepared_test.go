package tenantplugin_test

import (
	"errors"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
)

// TestRedTeam8PreparedSessionInTxDBHandsOutCentral: with
// gorm.Config{PrepareStmt: true} (a setting the README says is routed),
// gorm.Open keeps a *gorm.PreparedStmtDB around the pool it opened, the
// central one, in its cache store. A PrepareStmt session made inside a
// tenant's transaction wraps the transaction in a *gorm.PreparedStmtTX
// whose PreparedStmtDB is that one: tx.DB() on it returns the central
// *sql.DB, without error, where the README promises ErrBypassedRouting
// for tx.DB() inside a transaction, PrepareStmt sessions included
// (TestRedTeam3_PreparedTxDBHandsOutCentral covers only the session
// whose PreparedStmtDB wraps the router). Whatever the application runs
// on it reaches the central database, outside the transaction.
func TestRedTeam8PreparedSessionInTxDBHandsOutCentral(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1, Gorm: gorm.Config{PrepareStmt: true}})
		a := e.Tenants[0]
		err := e.DB.WithContext(e.Ctx(a)).Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&Note{Tenant: a, Body: "in tx"}).Error; err != nil {
				return err
			}
			sqlDB, err := tx.Session(&gorm.Session{PrepareStmt: true}).DB()
			if err != nil {
				return err
			}
			d, err := sent(e, func() error {
				q := `INSERT INTO notes (tenant, body) VALUES (?, 'via tx.DB()')`
				if b == fixture.Postgres {
					q = `INSERT INTO notes (tenant, body) VALUES ($1, 'via tx.DB()')`
				}
				_, err := sqlDB.Exec(q, a)
				return err
			})
			t.Errorf("tx.Session(PrepareStmt).DB() in tenant %s's transaction returned a *sql.DB (exec err = %v, sent %v)", a, err, d)
			return nil
		})
		if !errors.Is(err, tenantplugin.ErrBypassedRouting) {
			t.Errorf("err = %v, want ErrBypassedRouting", err)
		}
		if n := centralCount(t, e, `SELECT count(*) FROM notes WHERE body = 'via tx.DB()'`); n != 0 {
			t.Errorf("the central database holds %d tenant notes written through tx.DB()", n)
		}
	})
}
