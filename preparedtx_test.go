package tenantplugin_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// notesInsert is an INSERT of a note (tenant, body) in b's placeholders.
func notesInsert(b fixture.Backend) string {
	if b == fixture.Postgres {
		return `INSERT INTO notes (tenant, body) VALUES ($1, $2)`
	}
	return `INSERT INTO notes (tenant, body) VALUES (?, ?)`
}

// TestPreparedTxStmtContextIsChecked runs statements on the pool of a
// PrepareStmt session's transaction (GORM's *gorm.PreparedStmtTX, which
// runs every statement after the first of its text through the
// transaction's StmtContext): each is checked by its context and its
// text, Exec, Query and QueryRow alike; a refused one sends nothing, and
// the transaction goes on.
func TestPreparedTxStmtContextIsChecked(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 2})
		a, bb := e.Tenants[0], e.Tenants[1]
		ctxA, ctxB := e.Ctx(a), e.Ctx(bb)
		ins := notesInsert(b)
		const sel = `SELECT count(*) FROM notes`
		const audit = `INSERT INTO audit_logs (body) VALUES ('x')`

		// A central transaction caches the audit statement in GORM's
		// cache (shared by every PrepareStmt session).
		if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Transaction(func(tx *gorm.DB) error {
			pool := tx.Session(&gorm.Session{PrepareStmt: true}).Statement.ConnPool
			_, err := pool.ExecContext(context.Background(), audit)
			return err
		}); err != nil {
			t.Fatal(err)
		}

		tx := e.DB.Session(&gorm.Session{PrepareStmt: true, Context: ctxB}).Begin()
		if err := tx.Error; err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		pool := tx.Statement.ConnPool
		if _, ok := pool.(*gorm.PreparedStmtTX); !ok {
			t.Fatalf("pool is %T, want *gorm.PreparedStmtTX", pool)
		}
		// The first of each text is prepared, the next ones go through
		// StmtContext.
		for range 2 {
			if _, err := pool.ExecContext(ctxB, ins, bb, "own"); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := pool.QueryRowContext(ctxB, sel).Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		refusals := []struct {
			name string
			run  func() error
			want error
		}{
			{"Exec with another tenant's context", func() error {
				_, err := pool.ExecContext(ctxA, ins, a, "A's")
				return err
			}, tenantplugin.ErrCrossDatabase},
			{"Query with another tenant's context", func() error {
				rows, err := pool.QueryContext(ctxA, sel)
				if err == nil {
					rows.Close()
				}
				return err
			}, tenantplugin.ErrCrossDatabase},
			{"QueryRow with another tenant's context", func() error {
				var n int
				return pool.QueryRowContext(ctxA, sel).Scan(&n)
			}, tenantplugin.ErrCrossDatabase},
			{"Exec without tenant", func() error {
				_, err := pool.ExecContext(context.Background(), ins, "none", "none")
				return err
			}, nil}, // no tenant: the transaction's (as without PrepareStmt)
			{"Exec of a central table cached by a central transaction", func() error {
				_, err := pool.ExecContext(ctxB, audit)
				return err
			}, tenantplugin.ErrCrossDatabase},
		}
		for _, r := range refusals {
			d, err := sent(e, r.run)
			if r.want == nil {
				if err != nil || d[bb] == 0 || len(d) != 1 {
					t.Errorf("%s: err %v, sent %v; want it run on %s", r.name, err, d, bb)
				}
				continue
			}
			if !errors.Is(err, r.want) || len(d) != 0 {
				t.Errorf("%s: err %v, sent %v; want %v, nothing sent", r.name, err, d, r.want)
			}
		}
		if _, err := pool.ExecContext(ctxB, ins, bb, "after"); err != nil {
			t.Fatalf("B's statement after the refusals: %v", err)
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
		if n := centralCount(t, e, `SELECT count(*) FROM audit_logs`); n != 1 {
			t.Errorf("central audit_logs holds %d rows, want 1", n)
		}
	})
}

// TestPreparedTxStatementsAcrossDatabases: GORM's cache of a PrepareStmt
// session's transactions holds one statement per text for every
// database. Transactions of tenants, of a tenant's own, and of a reserved
// database pinned with reserved.Use, take turns with the same text: each
// runs it on its own database, again and again.
func TestPreparedTxStatementsAcrossDatabases(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 2})
		ins := notesInsert(b)
		onTenant := func(id string) error {
			ctx := e.Ctx(id)
			return e.DB.Session(&gorm.Session{PrepareStmt: true, Context: ctx}).Transaction(func(tx *gorm.DB) error {
				_, err := tx.Statement.ConnPool.ExecContext(ctx, ins, id, "sqlc-style")
				return err
			})
		}
		onCentral := func() error {
			return e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Transaction(func(tx *gorm.DB) error {
				pool := tx.Session(&gorm.Session{PrepareStmt: true}).Statement.ConnPool
				_, err := pool.ExecContext(context.Background(), ins, "central", "sqlc-style")
				return err
			})
		}
		for i := range 3 {
			for _, step := range []struct {
				name string
				run  func() error
			}{
				{e.Tenants[0], func() error { return onTenant(e.Tenants[0]) }},
				{"central", onCentral},
				{e.Tenants[1], func() error { return onTenant(e.Tenants[1]) }},
			} {
				if err := step.run(); err != nil {
					t.Errorf("round %d, %s's transaction: %v", i, step.name, err)
				}
			}
		}
		for _, id := range e.Tenants {
			var n int64
			if err := e.DB.WithContext(e.Ctx(id)).Model(&Note{}).Where("tenant = ? AND body = ?", id, "sqlc-style").Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			var all int64
			if err := e.DB.WithContext(e.Ctx(id)).Model(&Note{}).Count(&all).Error; err != nil {
				t.Fatal(err)
			}
			if n != 3 || all != 3 {
				t.Errorf("tenant %s's database holds %d of its notes, %d in all; want 3, 3", id, n, all)
			}
		}
		if n := centralCount(t, e, `SELECT count(*) FROM notes`); n != 3 {
			t.Errorf("the central database holds %d notes, want its 3", n)
		}
	})
}

// TestGORMStatementCacheOfOpen: gorm.Open with Config.PrepareStmt makes
// GORM's statement cache for PrepareStmt sessions on the pool it opened,
// and statements run before db.Use are prepared there. After Use, a
// PrepareStmt session's transaction must not hand that pool out
// (tx.DB()), and the statements prepared on it must not run: GORM would
// run them on the central database.
func TestGORMStatementCacheOfOpen(t *testing.T) {
	dir := t.TempDir()
	db, err := gorm.Open(sqlite.Open(filepath.Join(dir, "central.db")), &gorm.Config{Logger: logger.Discard, PrepareStmt: true})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	t.Cleanup(func() { _ = sqlDB.Close() })
	if err := db.AutoMigrate(&Note{}); err != nil {
		t.Fatal(err)
	}
	ins := notesInsert(fixture.SQLite)
	// Prepared on the central pool, in GORM's cache.
	if _, err := db.Statement.ConnPool.ExecContext(context.Background(), ins, "central", "before Use"); err != nil {
		t.Fatal(err)
	}

	res, err := resolver.New(resolver.Config{Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers: []dbdriver.Driver{sqlitedriver.New()}, Logger: fixture.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = res.Close() })
	ctx := tenant.NewContext(context.Background(), "t00")
	if err := res.Set(ctx, "t00", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, "t00.db")}}); err != nil {
		t.Fatal(err)
	}
	plugin := tenantplugin.New(tenantplugin.Config{Resolver: res, Logger: fixture.Quiet()})
	if err := db.Use(plugin); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = plugin.Close() })
	if err := db.WithContext(ctx).AutoMigrate(&Note{}); err != nil {
		t.Fatal(err)
	}

	// Outside a transaction: the statement cached on the central pool
	// does not run.
	s := db.Session(&gorm.Session{PrepareStmt: true, Context: ctx})
	if _, err := s.Statement.ConnPool.ExecContext(ctx, ins, "t00", "session pool"); !errors.Is(err, tenantplugin.ErrBypassedRouting) {
		t.Errorf("a PrepareStmt session's pool, used directly: %v, want ErrBypassedRouting", err)
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ps := tx.Session(&gorm.Session{PrepareStmt: true})
		if got, err := ps.DB(); !errors.Is(err, tenantplugin.ErrBypassedRouting) {
			t.Errorf("tx.Session(PrepareStmt).DB() = %v, %v; want ErrBypassedRouting", got, err)
		}
		for range 2 {
			if _, err := ps.Statement.ConnPool.ExecContext(ctx, ins, "t00", "in tx"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var central, tenantRows int64
	if err := db.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Model(&Note{}).Count(&central).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.WithContext(ctx).Model(&Note{}).Where("body = ?", "in tx").Count(&tenantRows).Error; err != nil {
		t.Fatal(err)
	}
	if central != 1 || tenantRows != 2 {
		t.Errorf("central holds %d notes (want 1, from before Use), tenant t00 %d of its transaction (want 2)", central, tenantRows)
	}
}
