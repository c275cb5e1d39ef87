package tenantplugin_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/plugin/dbresolver"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenanttest"
)

func countBody(t *testing.T, db *gorm.DB, body string) int64 {
	t.Helper()
	var n int64
	if err := db.Model(&Note{}).Where("body = ?", body).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReusedChainRoutesAgain runs a statement on a *gorm.DB chain, then
// uses the same chain with another tenant's context, or none: the
// transaction must follow the new context, never the first tenant.
func TestReusedChainRoutesAgain(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 2})
		migrateTenants(t, e)
		a, bb := e.Tenants[0], e.Tenants[1]
		for _, s := range sessions {
			t.Run(s.name, func(t *testing.T) {
				q := s.open(e.DB, e.Ctx(a)).Model(&Note{})
				var n int64
				if err := q.Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				body := "reused-" + s.name
				err := q.WithContext(e.Ctx(bb)).Transaction(func(tx *gorm.DB) error {
					return tx.Create(&Note{Tenant: bb, Body: body}).Error
				})
				if err != nil {
					t.Fatal(err)
				}
				if countBody(t, e.DB.WithContext(e.Ctx(a)), body) != 0 || countBody(t, e.DB.WithContext(e.Ctx(bb)), body) != 1 {
					t.Fatal("transaction of the reused chain did not follow its new context")
				}
				if err := q.WithContext(e.Ctx(bb)).Create(&Note{Tenant: bb, Body: body}).Error; err != nil {
					t.Fatal(err)
				}
				if countBody(t, e.DB.WithContext(e.Ctx(a)), body) != 0 {
					t.Fatal("statement of the reused chain went to the first tenant")
				}
				before := e.Counter.Total()
				tx := q.WithContext(context.Background()).Begin()
				if !errors.Is(tx.Error, tenant.ErrMissing) {
					t.Fatalf("Begin without tenant on a reused chain: %v", tx.Error)
				}
				if e.Counter.Total() != before {
					t.Fatal("SQL sent")
				}
			})
		}
		assertIsolated(t, e)
	})
}

type Order struct {
	ID     uint
	Tenant string
	PlanID uint
	Plan   Plan
}

// TestImplicitTransactionKeepsDatabase saves a tenant model with a
// central association: GORM's implicit transaction is on the tenant's
// database, so the central row must be refused, as in an explicit
// transaction, and the central model's table must never appear in the
// tenant's database, not even through AutoMigrate's dependencies.
func TestImplicitTransactionKeepsDatabase(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 1,
			Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Plan{})},
			Gorm:       gorm.Config{DisableForeignKeyConstraintWhenMigrating: true}})
		ctx := e.Ctx(e.Tenants[0])
		if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).AutoMigrate(&Plan{}); err != nil {
			t.Fatal(err)
		}
		// AutoMigrate adds Plan as a dependency of Order: its look-ups
		// would go to the central database while the current database
		// stays the tenant's, so it is refused with a clear error...
		err := e.DB.WithContext(ctx).AutoMigrate(&Order{})
		if !errors.Is(err, tenantplugin.ErrCrossDatabase) || !strings.Contains(err.Error(), "associations") {
			t.Fatalf("AutoMigrate with a central dependency: %v", err)
		}
		// ... and works without the dependency.
		tenantOnly := e.DB.WithContext(ctx).Session(&gorm.Session{})
		tenantOnly.Config.IgnoreRelationshipsWhenMigrating = true
		if err := tenantOnly.AutoMigrate(&Order{}); err != nil {
			t.Fatal(err)
		}
		pool, err := e.Resolver.ConnPool(ctx, e.Tenants[0], tenantplugin.AccessWrite)
		if err != nil {
			t.Fatal(err)
		}
		q := "SELECT count(*) FROM sqlite_master WHERE name = 'plans'"
		if b == fixture.Postgres {
			q = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'plans'"
		}
		var n int
		if err := pool.QueryRowContext(ctx, q).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the tenant's database has a plans table (%d, %v)", n, err)
		}
		for name, db := range map[string]*gorm.DB{
			"implicit": e.DB.WithContext(ctx),
			"explicit": e.DB.WithContext(ctx).Begin(),
		} {
			err := db.Create(&Order{Tenant: e.Tenants[0], Plan: Plan{Name: "p-" + name}}).Error
			if !errors.Is(err, tenantplugin.ErrCrossDatabase) {
				t.Errorf("%s transaction: err = %v, want ErrCrossDatabase", name, err)
			}
			if name == "explicit" {
				db.Rollback()
			}
		}
		var plans int64
		e.DB.Model(&Plan{}).Count(&plans)
		if plans != 0 {
			t.Fatalf("%d plans written by refused statements", plans)
		}
		// Without a transaction each row goes to its own database.
		if err := e.DB.Session(&gorm.Session{SkipDefaultTransaction: true, Context: ctx}).
			Create(&Order{Tenant: e.Tenants[0], Plan: Plan{Name: "p-notx"}}).Error; err != nil {
			t.Fatal(err)
		}
		e.DB.Model(&Plan{}).Count(&plans)
		if plans != 1 {
			t.Fatalf("central has %d plans, want 1", plans)
		}
	})
}

// TestReservedTransactionRefusesTenantStatements: a transaction a
// strategy put on a reserved database takes no undecided tenant
// statement.
func TestReservedTransactionRefusesTenantStatements(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1,
		Strategies: []tenantplugin.Strategy{tenantplugin.StrategyFunc(func(s tenantplugin.Statement) (tenantplugin.Route, bool) {
			if s.Op == tenantplugin.OpBegin {
				return tenantplugin.ReservedRoute(tenantplugin.DefaultAlias), true
			}
			return tenantplugin.Route{}, false
		})}})
	err := e.DB.WithContext(e.Ctx(e.Tenants[0])).Transaction(func(tx *gorm.DB) error {
		return tx.Exec("SELECT 1").Error
	})
	if !errors.Is(err, tenantplugin.ErrCrossDatabase) {
		t.Fatalf("err = %v, want ErrCrossDatabase", err)
	}
	// Under reserved.Use the same statement is explicit and runs.
	err = e.DB.WithContext(e.Ctx(e.Tenants[0])).Clauses(reserved.Use(tenantplugin.DefaultAlias)).
		Transaction(func(tx *gorm.DB) error { return tx.Exec("SELECT 1").Error })
	if err != nil {
		t.Fatal(err)
	}
}

func TestDryRunNeedsNoTenant(t *testing.T) {
	env := tenanttest.New(t, tenanttest.Tenants(1))
	sql := env.DB.ToSQL(func(tx *gorm.DB) *gorm.DB { return tx.Model(&Note{}).Where("id = ?", 1).Find(&[]Note{}) })
	if !strings.Contains(sql, "FROM `notes`") {
		t.Fatalf("ToSQL = %q", sql)
	}
	if sent := env.Sent(); sent.Total() != 0 {
		t.Fatalf("DryRun sent SQL: %s", sent)
	}
}

func TestConnectionIsRefused(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1})
	migrateTenants(t, e)
	err := e.DB.WithContext(e.Ctx(e.Tenants[0])).Connection(func(tx *gorm.DB) error {
		return tx.Exec("SELECT 1").Error
	})
	if !errors.Is(err, tenantplugin.ErrBypassedRouting) {
		t.Fatalf("err = %v, want ErrBypassedRouting", err)
	}
}

func TestPluginServesOneDB(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1})
	if err := e.DB.Use(e.Plugin); !errors.Is(err, gorm.ErrRegistered) && err != nil {
		t.Fatalf("second Use on the same *gorm.DB: %v", err)
	}
	if err := e.Plugin.Initialize(e.DB); err != nil {
		t.Fatalf("Initialize again on the same *gorm.DB: %v", err)
	}
	e2 := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1, NoPlugin: true})
	if err := e2.DB.Use(e.Plugin); err == nil {
		t.Fatal("a Plugin installed on a second *gorm.DB")
	}
}

func TestRefusesDBResolverInstalledFirst(t *testing.T) {
	dir := t.TempDir()
	db, err := gorm.Open(sqlite.Open(filepath.Join(dir, "central.db")), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	if err := db.Use(dbresolver.Register(dbresolver.Config{})); err != nil {
		t.Fatal(err)
	}
	res, err := resolver.New(resolver.Config{Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers: []dbdriver.Driver{sqlitedriver.New()}, Logger: fixture.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	err = db.Use(tenantplugin.New(tenantplugin.Config{Resolver: res, Logger: fixture.Quiet()}))
	if err == nil || !strings.Contains(err.Error(), "dbresolver") {
		t.Fatalf("Use after dbresolver: %v", err)
	}
}

// TestPreparedStatementsSurviveMigrations reads through a prepared
// session, changes the table, and reads again: a statement cached before
// the change is prepared again instead of failing.
func TestPreparedStatementsSurviveMigrations(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 1})
		migrateTenants(t, e)
		db := e.DB.Session(&gorm.Session{PrepareStmt: true}).WithContext(e.Ctx(e.Tenants[0]))
		if err := db.Create(&Note{Tenant: e.Tenants[0], Body: "x"}).Error; err != nil {
			t.Fatal(err)
		}
		var rows []map[string]any
		if err := db.Raw("SELECT * FROM notes").Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("ALTER TABLE notes ADD COLUMN extra TEXT").Error; err != nil {
			t.Fatal(err)
		}
		rows = nil
		if err := db.Raw("SELECT * FROM notes").Scan(&rows).Error; err != nil {
			t.Fatalf("after ALTER TABLE: %v", err)
		}
		if _, ok := rows[0]["extra"]; !ok {
			t.Fatalf("new column missing: %v", rows[0])
		}
	})
}
