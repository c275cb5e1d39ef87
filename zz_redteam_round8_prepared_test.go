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

// TestRedTeam8PreparedTxConnPoolSkipsContextCheck: the README says code
// that calls the ConnPool directly (sqlc-style) inside a transaction
// has each statement checked by its context: one whose context names
// another tenant fails with ErrCrossDatabase, nothing sent. In a
// PrepareStmt session the transaction's ConnPool is GORM's
// *gorm.PreparedStmtTX around the plugin's transaction: it checks the
// SQL when it first prepares it, then runs the cached statement through
// tx.StmtContext, which the plugin does not check. A statement with
// tenant A's context runs in tenant B's transaction, on B's database.
func TestRedTeam8PreparedTxConnPoolSkipsContextCheck(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 2})
		a, bb := e.Tenants[0], e.Tenants[1]
		ctxA, ctxB := e.Ctx(a), e.Ctx(bb)
		q := `INSERT INTO notes (tenant, body) VALUES (?, ?)`
		if b == fixture.Postgres {
			q = `INSERT INTO notes (tenant, body) VALUES ($1, $2)`
		}
		// The control: without PrepareStmt the plugin's transaction
		// refuses tenant A's statement.
		tx := e.DB.WithContext(ctxB).Begin()
		if _, err := tx.Statement.ConnPool.ExecContext(ctxB, q, bb, "B's own"); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Statement.ConnPool.ExecContext(ctxA, q, a, "A's row"); !errors.Is(err, tenantplugin.ErrCrossDatabase) {
			t.Errorf("control: tenant A's statement in B's transaction: %v, want ErrCrossDatabase", err)
		}
		if err := tx.Rollback().Error; err != nil {
			t.Fatal(err)
		}

		tx = e.DB.Session(&gorm.Session{PrepareStmt: true, Context: ctxB}).Begin()
		if err := tx.Error; err != nil {
			t.Fatal(err)
		}
		pool := tx.Statement.ConnPool
		if _, err := pool.ExecContext(ctxB, q, bb, "B's own"); err != nil {
			t.Fatal(err)
		}
		d, err := sent(e, func() error {
			_, err := pool.ExecContext(ctxA, q, a, "A's row")
			return err
		})
		if !errors.Is(err, tenantplugin.ErrCrossDatabase) || len(d) != 0 {
			t.Errorf("tenant A's statement in B's PrepareStmt transaction (%T): err %v, sent %v; want ErrCrossDatabase, nothing sent", pool, err, d)
		}
		if err := tx.Commit().Error; err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := e.DB.WithContext(ctxB).Model(&Note{}).Where("tenant = ?", a).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("tenant %s's database holds %d rows written with tenant %s's context", bb, n, a)
		}
	})
}

// TestRedTeam8PreparedTxStatementOfAnotherTenant: GORM's
// *gorm.PreparedStmtTX caches the statements it prepares on a
// transaction by SQL text, for every transaction of every session. Once
// tenant A's transaction ran a statement through its ConnPool, tenant
// B's transactions get A's *sql.Stmt for the same text, which
// database/sql refuses ("statement from different database used"): B's
// sqlc-style statements fail, and keep failing (GORM drops a cached
// statement only on driver.ErrBadConn). Without the plugin the same code
// works (one *sql.DB, re-prepared on each transaction).
func TestRedTeam8PreparedTxStatementOfAnotherTenant(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 2})
		q := `INSERT INTO notes (tenant, body) VALUES (?, ?)`
		if b == fixture.Postgres {
			q = `INSERT INTO notes (tenant, body) VALUES ($1, $2)`
		}
		run := func(id string) error {
			ctx := e.Ctx(id)
			return e.DB.Session(&gorm.Session{PrepareStmt: true, Context: ctx}).Transaction(func(tx *gorm.DB) error {
				_, err := tx.Statement.ConnPool.ExecContext(ctx, q, id, "sqlc-style")
				return err
			})
		}
		if err := run(e.Tenants[0]); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := run(e.Tenants[1]); err != nil {
				t.Errorf("tenant %s's transaction %d, after tenant %s's ran the same statement: %v", e.Tenants[1], i, e.Tenants[0], err)
			}
		}
	})
}
