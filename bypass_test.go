package tenantplugin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenanttest"
)

// legacyCentral gives the central database the tenant tables too, as
// when it is the application's former single-tenant database: a
// statement that reaches it by mistake succeeds instead of failing.
func legacyCentral(t *testing.T, e *fixture.Env) {
	t.Helper()
	if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).AutoMigrate(&Note{}, &Tag{}); err != nil {
		t.Fatal(err)
	}
}

// bodies counts the notes with body in the central database and in each
// tenant's.
func bodies(t *testing.T, e *fixture.Env, body string) map[string]int64 {
	t.Helper()
	m := map[string]int64{fixture.Central: countBody(t, e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)), body)}
	for _, id := range e.Tenants {
		m[id] = countBody(t, e.DB.WithContext(e.Ctx(id)), body)
	}
	return m
}

// TestForeignTransactionsAreRefused runs statements on transactions and
// connections the plugin did not begin: db.Connection, a transaction
// begun on its connection, db.Connection inside a tenant's transaction,
// and a *sql.Tx set as a session's pool. Each is refused with
// ErrBypassedRouting (and tenant.ErrMissing when there is no tenant), and no
// statement but the BEGIN database/sql sends on its own reaches any
// database.
func TestForeignTransactionsAreRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 2})
		migrateTenants(t, e)
		legacyCentral(t, e)
		a, bb := e.Tenants[0], e.Tenants[1]
		leak := func(tx *gorm.DB, tenant string) error {
			return tx.Create(&Note{Tenant: tenant, Body: "leak"}).Error
		}
		sqlDB, err := e.DB.DB()
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			begins string // where database/sql sends a BEGIN by itself (or the test's own transaction does)
			run    func() error
			also   error // a second error the result must wrap
		}{
			{"Connection", "", func() error {
				return e.DB.WithContext(e.Ctx(a)).Connection(func(c *gorm.DB) error { return leak(c, a) })
			}, nil},
			{"Connection+Transaction", fixture.Central, func() error {
				return e.DB.WithContext(e.Ctx(a)).Connection(func(c *gorm.DB) error {
					return c.Transaction(func(tx *gorm.DB) error { return leak(tx, a) })
				})
			}, nil},
			{"Connection+Begin", fixture.Central, func() error {
				return e.DB.WithContext(e.Ctx(a)).Connection(func(c *gorm.DB) error {
					tx := c.Begin()
					defer func() { _ = tx.Rollback() }()
					return leak(tx, a)
				})
			}, nil},
			{"Connection+Transaction without tenant", fixture.Central, func() error {
				return e.DB.Connection(func(c *gorm.DB) error {
					return c.Transaction(func(tx *gorm.DB) error {
						var n []Note
						return tx.Find(&n).Error
					})
				})
			}, tenant.ErrMissing},
			{"Connection inside a tenant transaction", a, func() error {
				return e.DB.WithContext(e.Ctx(a)).Transaction(func(tx *gorm.DB) error {
					return tx.Connection(func(c *gorm.DB) error {
						return c.WithContext(e.Ctx(bb)).Transaction(func(t2 *gorm.DB) error { return leak(t2, bb) })
					})
				})
			}, nil},
			{"DB inside a tenant transaction", a, func() error {
				return e.DB.WithContext(e.Ctx(a)).Transaction(func(tx *gorm.DB) error {
					_, err := tx.DB()
					return err
				})
			}, nil},
			{"*sql.Tx as the pool", fixture.Central, func() error {
				tx, err := sqlDB.Begin()
				if err != nil {
					return err
				}
				defer func() { _ = tx.Rollback() }()
				s := e.DB.WithContext(e.Ctx(a)).Session(&gorm.Session{})
				s.Statement.ConnPool = tx
				return leak(s, a)
			}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := snapshot(e)
				err := tt.run()
				if !errors.Is(err, tenantplugin.ErrBypassedRouting) {
					t.Fatalf("err = %v, want ErrBypassedRouting", err)
				}
				if tt.also != nil && !errors.Is(err, tt.also) {
					t.Fatalf("err = %v, want it to wrap %v too", err, tt.also)
				}
				after := snapshot(e)
				for label := range after {
					want := int64(0)
					if label == tt.begins {
						want = 1
					}
					if d := after[label] - before[label]; d != want {
						t.Errorf("%d statements reached %s, want %d", d, label, want)
					}
				}
				for label, n := range bodies(t, e, "leak") {
					if n != 0 {
						t.Errorf("%d leaked rows in %s", n, label)
					}
				}
			})
		}
	})
}

// TestAdoptTx runs a session on a transaction the application began
// itself: it works on the database it was adopted for, commits and rolls
// back through GORM, and refuses statements for another database.
func TestAdoptTx(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 2,
			Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Plan{})}})
		migrateTenants(t, e)
		legacyCentral(t, e)
		if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).AutoMigrate(&Plan{}); err != nil {
			t.Fatal(err)
		}
		central, err := e.DB.DB()
		if err != nil {
			t.Fatal(err)
		}
		a, bb := e.Tenants[0], e.Tenants[1]
		ctx := context.Background()

		t.Run("reserved", func(t *testing.T) {
			tx, err := central.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := tenantplugin.AdoptTx(e.DB.WithContext(e.Ctx(a)), tx, tenantplugin.ReservedRoute(tenantplugin.DefaultAlias))
			if err := s.Create(&Plan{Name: "adopted"}).Error; err != nil {
				t.Fatal(err)
			}
			if err := s.Create(&Note{Tenant: a, Body: "x"}).Error; !errors.Is(err, tenantplugin.ErrCrossDatabase) {
				t.Fatalf("tenant statement on an adopted central transaction: %v", err)
			}
			if err := s.Commit().Error; err != nil {
				t.Fatal(err)
			}
			var n int64
			if err := e.DB.Model(&Plan{}).Where("name = ?", "adopted").Count(&n).Error; err != nil || n != 1 {
				t.Fatalf("adopted commit: %d plans, %v", n, err)
			}
		})
		t.Run("tenant", func(t *testing.T) {
			own := e.OpenTenantDB(t, a)
			tx, err := own.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := tenantplugin.AdoptTx(e.DB.WithContext(e.Ctx(a)), tx, tenantplugin.TenantRoute())
			if err := s.Create(&Note{Tenant: a, Body: "adopted"}).Error; err != nil {
				t.Fatal(err)
			}
			if err := s.WithContext(e.Ctx(bb)).Create(&Note{Tenant: bb, Body: "adopted"}).Error; !errors.Is(err, tenantplugin.ErrCrossDatabase) {
				t.Fatalf("another tenant's statement on an adopted transaction: %v", err)
			}
			if err := s.Rollback().Error; err != nil {
				t.Fatal(err)
			}
			if got := bodies(t, e, "adopted"); got[a] != 0 || got[bb] != 0 || got[fixture.Central] != 0 {
				t.Fatalf("rolled back adopted transaction left rows: %v", got)
			}
		})
		t.Run("fail closed", func(t *testing.T) {
			tx, err := central.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback() }()
			for _, c := range []struct {
				db    *gorm.DB
				route tenantplugin.Route
				want  error
			}{
				{e.DB, tenantplugin.TenantRoute(), tenant.ErrMissing},
				{e.DB.WithContext(e.Ctx("a/b")), tenantplugin.TenantRoute(), tenant.ErrInvalidID},
				{e.DB, tenantplugin.ReservedRoute("nope"), tenantplugin.ErrUnknownAlias},
			} {
				before := e.Counter.Total()
				s := tenantplugin.AdoptTx(c.db, tx, c.route)
				if !errors.Is(s.Error, c.want) {
					t.Errorf("AdoptTx(%s): %v, want %v", c.route, s.Error, c.want)
				}
				if err := s.Create(&Plan{Name: "no"}).Error; !errors.Is(err, c.want) {
					t.Errorf("statement after a refused AdoptTx(%s): %v", c.route, err)
				}
				if d := e.Counter.Total() - before; d != 0 {
					t.Errorf("%d statements sent", d)
				}
			}
		})
	})
}

// TestDryRunSendsNothing: a DryRun session builds SQL for every kind of
// statement, with or without a tenant, and sends nothing, not even the
// BEGIN of GORM's implicit write transaction.
func TestDryRunSendsNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		env := tenanttest.New(t, testServer(t, b), tenanttest.Tenants(1))
		for name, id := range map[string]string{"no tenant": "", "tenant": env.Tenants[0]} {
			t.Run(name, func(t *testing.T) {
				ctx := t.Context()
				if id != "" {
					ctx = tenanttest.Context(t, id)
				}
				dry := env.DB.Session(&gorm.Session{DryRun: true, Context: ctx})
				before := env.Sent()
				for _, st := range []*gorm.DB{
					dry.Create(&Note{Body: "x"}),
					dry.Model(&Note{ID: 1}).Update("body", "y"),
					dry.Delete(&Note{ID: 1}),
					dry.Find(&[]Note{}),
					dry.Exec("DELETE FROM notes"),
				} {
					if st.Error != nil {
						t.Errorf("DryRun: %v", st.Error)
					}
					if st.Statement.SQL.Len() == 0 {
						t.Error("DryRun built no SQL")
					}
				}
				if d := env.Sent().Sub(before); d.Total() != 0 {
					t.Fatalf("DryRun sent %d statements: %s", d.Total(), d)
				}
			})
		}
	})
}

// TestSavePointRefusalIsVisible: SavePoint and RollbackTo on a tenant's
// transaction with another tenant's context are refused on the returned
// *gorm.DB (the dialectors drop their own Exec errors), and nothing is
// sent.
func TestSavePointRefusalIsVisible(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 2})
		migrateTenants(t, e)
		for _, s := range sessions {
			t.Run(s.name, func(t *testing.T) {
				tx := s.open(e.DB, e.Ctx(e.Tenants[0])).Begin()
				if tx.Error != nil {
					t.Fatal(tx.Error)
				}
				defer func() { _ = tx.Rollback() }()
				before := e.Counter.Total()
				other := tx.WithContext(e.Ctx(e.Tenants[1]))
				if err := other.SavePoint("sp1").Error; !errors.Is(err, tenantplugin.ErrCrossDatabase) {
					t.Errorf("SavePoint: %v, want ErrCrossDatabase", err)
				}
				if err := tx.WithContext(e.Ctx(e.Tenants[1])).RollbackTo("sp1").Error; !errors.Is(err, tenantplugin.ErrCrossDatabase) {
					t.Errorf("RollbackTo: %v, want ErrCrossDatabase", err)
				}
				if d := e.Counter.Total() - before; d != 0 {
					t.Errorf("%d statements sent", d)
				}
				// The transaction's own context still works.
				if err := tx.SavePoint("sp2").Error; err != nil {
					t.Fatal(err)
				}
				if err := tx.RollbackTo("sp2").Error; err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(e.Counter.String(), e.Tenants[0]) {
					t.Fatal("savepoints did not reach the tenant")
				}
			})
		}
	})
}
