package tenantplugin_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenanttest"
)

// entryPoint is one way GORM touches a database. run uses db (which
// carries the context under test) and returns the error GORM reports.
type entryPoint struct {
	name string
	run  func(db *gorm.DB, tenant string) error
}

func entryPoints() []entryPoint {
	return []entryPoint{
		{"Create", func(db *gorm.DB, t string) error { return db.Create(&Note{Tenant: t, Body: "create"}).Error }},
		{"CreateInBatches", func(db *gorm.DB, t string) error {
			return db.CreateInBatches([]Note{{Tenant: t, Body: "b1"}, {Tenant: t, Body: "b2"}}, 1).Error
		}},
		{"CreateWithAssociation", func(db *gorm.DB, t string) error {
			return db.Create(&Note{Tenant: t, Body: "assoc", Tags: []Tag{{Tenant: t, Name: "x"}}}).Error
		}},
		{"Save", func(db *gorm.DB, t string) error { return db.Save(&Note{Tenant: t, Body: "save"}).Error }},
		{"FirstOrCreate", func(db *gorm.DB, t string) error {
			return db.Where(Note{Tenant: t, Body: "foc"}).FirstOrCreate(&Note{}).Error
		}},
		{"Find", func(db *gorm.DB, t string) error { var n []Note; return db.Find(&n).Error }},
		{"First", func(db *gorm.DB, t string) error { return ignoreNotFound(db.First(&Note{}).Error) }},
		{"Take", func(db *gorm.DB, t string) error { return ignoreNotFound(db.Take(&Note{}).Error) }},
		{"Last", func(db *gorm.DB, t string) error { return ignoreNotFound(db.Last(&Note{}).Error) }},
		{"FindInBatches", func(db *gorm.DB, t string) error {
			var n []Note
			return db.FindInBatches(&n, 10, func(*gorm.DB, int) error { return nil }).Error
		}},
		{"Update", func(db *gorm.DB, t string) error {
			return db.Model(&Note{}).Where("tenant = ?", t).Update("body", "u").Error
		}},
		{"Updates", func(db *gorm.DB, t string) error {
			return db.Model(&Note{}).Where("tenant = ?", t).Updates(map[string]any{"body": "us"}).Error
		}},
		{"Delete", func(db *gorm.DB, t string) error { return db.Where("body = ?", "none").Delete(&Note{}).Error }},
		{"Raw.Scan", func(db *gorm.DB, t string) error {
			var n int
			return db.Raw("SELECT count(*) FROM notes").Scan(&n).Error
		}},
		{"Exec", func(db *gorm.DB, t string) error { return db.Exec("UPDATE notes SET body = body WHERE id < 0").Error }},
		{"Row", func(db *gorm.DB, t string) error {
			var n int
			return db.Model(&Note{}).Select("count(*)").Row().Scan(&n)
		}},
		{"Rows", func(db *gorm.DB, t string) error {
			rows, err := db.Model(&Note{}).Rows()
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var n Note
				if err := db.ScanRows(rows, &n); err != nil {
					return err
				}
			}
			return rows.Err()
		}},
		{"Scan", func(db *gorm.DB, t string) error { var n []Note; return db.Table("notes").Scan(&n).Error }},
		{"Pluck", func(db *gorm.DB, t string) error { var b []string; return db.Model(&Note{}).Pluck("body", &b).Error }},
		{"Count", func(db *gorm.DB, t string) error { var n int64; return db.Model(&Note{}).Count(&n).Error }},
		{"Preload", func(db *gorm.DB, t string) error { var n []Note; return db.Preload("Tags").Find(&n).Error }},
		{"Association", func(db *gorm.DB, t string) error {
			n := Note{Tenant: t, Body: "a"}
			if err := db.Create(&n).Error; err != nil {
				return err
			}
			if err := db.Model(&n).Association("Tags").Append(&Tag{Tenant: t, Name: "y"}); err != nil {
				return err
			}
			if db.Model(&n).Association("Tags").Count() != 1 {
				return errors.New("association count")
			}
			return db.Model(&n).Association("Tags").Error
		}},
		{"Transaction", func(db *gorm.DB, t string) error {
			return db.Transaction(func(tx *gorm.DB) error { return tx.Create(&Note{Tenant: t, Body: "tx"}).Error })
		}},
		{"NestedTransaction", func(db *gorm.DB, t string) error {
			return db.Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&Note{Tenant: t, Body: "outer"}).Error; err != nil {
					return err
				}
				inner := tx.Transaction(func(tx2 *gorm.DB) error {
					if err := tx2.Create(&Note{Tenant: t, Body: "rolled-back"}).Error; err != nil {
						return err
					}
					return errRollback
				})
				if !errors.Is(inner, errRollback) {
					return fmt.Errorf("inner transaction: %w", inner)
				}
				return nil
			})
		}},
		{"BeginCommit", func(db *gorm.DB, t string) error {
			tx := db.Begin()
			if tx.Error != nil {
				return tx.Error
			}
			if err := tx.Create(&Note{Tenant: t, Body: "begin"}).Error; err != nil {
				tx.Rollback()
				return err
			}
			return tx.Commit().Error
		}},
		{"BeginRollback", func(db *gorm.DB, t string) error {
			tx := db.Begin(&sql.TxOptions{})
			if tx.Error != nil {
				return tx.Error
			}
			if err := tx.Create(&Note{Tenant: t, Body: "rolled-back"}).Error; err != nil {
				tx.Rollback()
				return err
			}
			return tx.Rollback().Error
		}},
		{"SavePoint", func(db *gorm.DB, t string) error {
			tx := db.Begin()
			if tx.Error != nil {
				return tx.Error
			}
			defer tx.Rollback()
			tx.SavePoint("sp1")
			tx.Create(&Note{Tenant: t, Body: "rolled-back"})
			tx.RollbackTo("sp1")
			if tx.Error != nil {
				return tx.Error
			}
			return tx.Commit().Error
		}},
		{"Locking", func(db *gorm.DB, t string) error {
			return db.Transaction(func(tx *gorm.DB) error {
				var n []Note
				return tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id < 0").Find(&n).Error
			})
		}},
		{"Migrator.ColumnTypes", func(db *gorm.DB, t string) error {
			_, err := db.Migrator().ColumnTypes(&Note{})
			return err
		}},
		{"AutoMigrate", func(db *gorm.DB, t string) error { return db.AutoMigrate(&Note{}, &Tag{}) }},
	}
}

var errRollback = errors.New("roll back")

func ignoreNotFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	return err
}

// sessions are the ways an application holds its *gorm.DB.
var sessions = []struct {
	name string
	open func(db *gorm.DB, ctx context.Context) *gorm.DB
}{
	{"plain", func(db *gorm.DB, ctx context.Context) *gorm.DB { return db.WithContext(ctx) }},
	{"PrepareStmt", func(db *gorm.DB, ctx context.Context) *gorm.DB {
		return db.Session(&gorm.Session{PrepareStmt: true}).WithContext(ctx)
	}},
	{"SkipDefaultTransaction", func(db *gorm.DB, ctx context.Context) *gorm.DB {
		return db.Session(&gorm.Session{SkipDefaultTransaction: true, Context: ctx})
	}},
}

func migrateTenants(t *testing.T, e *fixture.Env) {
	t.Helper()
	for _, id := range e.Tenants {
		if err := e.DB.WithContext(e.Ctx(id)).AutoMigrate(&Note{}, &Tag{}); err != nil {
			t.Fatalf("migrate %s: %v", id, err)
		}
	}
}

// TestEveryEntryPointRoutesToTenant runs every entry point as one tenant
// and checks, by counting statements per database, that only that
// tenant's database received any.
func TestEveryEntryPointRoutesToTenant(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 3})
		migrateTenants(t, e)
		for _, s := range sessions {
			for _, ep := range entryPoints() {
				t.Run(s.name+"/"+ep.name, func(t *testing.T) {
					tenant := e.Tenants[1]
					before := snapshot(e)
					if err := ep.run(s.open(e.DB, e.Ctx(tenant)), tenant); err != nil {
						t.Fatalf("%s: %v", ep.name, err)
					}
					after := snapshot(e)
					if after[tenant] == before[tenant] {
						t.Errorf("no statement reached tenant %s", tenant)
					}
					for label := range after {
						if label != tenant && after[label] != before[label] {
							t.Errorf("%d statements reached %s, want 0 (counts: %s)", after[label]-before[label], label, e.Counter)
						}
					}
				})
			}
		}
		assertIsolated(t, e)
	})
}

func snapshot(e *fixture.Env) map[string]int64 {
	m := map[string]int64{fixture.Central: e.Counter.Get(fixture.Central)}
	for _, id := range e.Tenants {
		m[id] = e.Counter.Get(id)
	}
	return m
}

// assertIsolated reads each tenant's database through its own context
// and checks every row was written by that tenant, and that no
// rolled-back row survived.
func assertIsolated(t *testing.T, e *fixture.Env) {
	t.Helper()
	for _, id := range e.Tenants {
		db := e.DB.WithContext(e.Ctx(id))
		var foreign, rolledBack, foreignTags int64
		if err := db.Model(&Note{}).Where("tenant <> ?", id).Count(&foreign).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Model(&Note{}).Where("body = ?", "rolled-back").Count(&rolledBack).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Model(&Tag{}).Where("tenant <> ?", id).Count(&foreignTags).Error; err != nil {
			t.Fatal(err)
		}
		if foreign != 0 || foreignTags != 0 || rolledBack != 0 {
			t.Errorf("tenant %s: %d foreign notes, %d foreign tags, %d rolled-back rows; want 0", id, foreign, foreignTags, rolledBack)
		}
	}
}

// TestFailClosed runs every entry point without a tenant, with an
// unknown tenant and with invalid tenant ids: each must fail with the
// right error and send no SQL to any database.
func TestFailClosed(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		env := tenanttest.New(t, testServer(t, b), tenanttest.TenantIDs("t00", "t01"), tenanttest.Models(&Note{}, &Tag{}))
		cases := []struct {
			name string
			id   string
			want error
		}{
			{"unknown tenant", "nobody", tenant.ErrUnknown},
			{"empty id", "", tenant.ErrInvalidID},
			{"path id", "../t00", tenant.ErrInvalidID},
			{"slash id", "a/b", tenant.ErrInvalidID},
			{"control id", "t00\n", tenant.ErrInvalidID},
		}
		for _, s := range sessions {
			for _, ep := range entryPoints() {
				t.Run(s.name+"/no tenant/"+ep.name, func(t *testing.T) {
					tenanttest.NoSQLWithoutTenant(t, env, func(ctx context.Context) error {
						return ep.run(s.open(env.DB, ctx), "x")
					})
				})
			}
			for _, c := range cases {
				for _, ep := range entryPoints() {
					t.Run(s.name+"/"+c.name+"/"+ep.name, func(t *testing.T) {
						before := env.Sent()
						err := ep.run(s.open(env.DB, tenanttest.Context(t, c.id)), "x")
						if !errors.Is(err, c.want) {
							t.Errorf("err = %v, want %v", err, c.want)
						}
						if d := env.Sent().Sub(before); d.Total() != 0 {
							t.Errorf("%d statements sent, want 0 (%s)", d.Total(), d)
						}
					})
				}
			}
		}
	})
}

// TestInvalidIDRefusedEveryTime: a context's tenant id is checked once
// and remembered when valid; an invalid one is refused on every
// statement of the context, not only its first.
func TestInvalidIDRefusedEveryTime(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		env := tenanttest.New(t, testServer(t, b), tenanttest.TenantIDs("t00"), tenanttest.Models(&Note{}))
		ctx := tenanttest.Context(t, "a/b")
		before := env.Sent()
		for i := range 3 {
			var notes []Note
			if err := env.DB.WithContext(ctx).Find(&notes).Error; !errors.Is(err, tenant.ErrInvalidID) {
				t.Fatalf("statement %d: err = %v, want ErrInvalidID", i, err)
			}
		}
		if d := env.Sent().Sub(before); d.Total() != 0 {
			t.Errorf("%d statements sent, want 0 (%s)", d.Total(), d)
		}
	})
}

// TestReservedRouting sends central models to the central database and
// tenant models to the tenant's, outside and inside transactions.
func TestReservedRouting(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{
			Tenants:    2,
			Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Plan{})},
		})
		migrateTenants(t, e)
		if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).AutoMigrate(&Plan{}); err != nil {
			t.Fatal(err)
		}
		tenant := e.Tenants[0]
		ctx := e.Ctx(tenant)
		db := e.DB.WithContext(ctx)

		c0, t0 := e.Counter.Get(fixture.Central), e.Counter.Get(tenant)
		if err := db.Create(&Plan{Name: "gold"}).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&Note{Tenant: tenant, Body: "n"}).Error; err != nil {
			t.Fatal(err)
		}
		if e.Counter.Get(fixture.Central) == c0 || e.Counter.Get(tenant) == t0 {
			t.Fatalf("central and tenant must both be written: %s", e.Counter)
		}

		// Without a tenant, central models still work: the strategy decides.
		var plans []Plan
		if err := e.DB.Find(&plans).Error; err != nil || len(plans) != 1 {
			t.Fatalf("central without tenant: %v, %d plans", err, len(plans))
		}
		// Raw SQL on a central table follows the table.
		var n int64
		if err := e.DB.Raw("SELECT count(*) FROM plans").Scan(&n).Error; err != nil || n != 1 {
			t.Fatalf("raw on central: %v, %d", err, n)
		}

		t.Run("tenant transaction refuses central statement", func(t *testing.T) {
			err := db.Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&Note{Tenant: tenant, Body: "rolled-back"}).Error; err != nil {
					return err
				}
				return tx.Create(&Plan{Name: "rolled-back"}).Error
			})
			if !errors.Is(err, tenantplugin.ErrCrossDatabase) {
				t.Fatalf("err = %v, want ErrCrossDatabase", err)
			}
			// The message names the table and what to do.
			for _, want := range []string{`table "plans"`, `tenant "` + tenant + `"`, "outside the transaction"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want it to say %s", err, want)
				}
			}
		})
		t.Run("central transaction with reserved.Use", func(t *testing.T) {
			before := e.Counter.Get(tenant)
			err := db.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&Plan{Name: "silver"}).Error; err != nil {
					return err
				}
				var p Plan
				return tx.Where("name = ?", "silver").First(&p).Error
			})
			if err != nil {
				t.Fatal(err)
			}
			if d := e.Counter.Get(tenant) - before; d != 0 {
				t.Fatalf("%d statements reached the tenant", d)
			}
		})
		t.Run("central transaction rolls back", func(t *testing.T) {
			tx := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Begin()
			if err := tx.Create(&Plan{Name: "rolled-back"}).Error; err != nil {
				t.Fatal(err)
			}
			if err := tx.Rollback().Error; err != nil {
				t.Fatal(err)
			}
			var n int64
			e.DB.Model(&Plan{}).Where("name = ?", "rolled-back").Count(&n)
			if n != 0 {
				t.Fatalf("%d rolled-back plans", n)
			}
		})
		t.Run("tenant transaction with another tenant's context", func(t *testing.T) {
			err := db.Transaction(func(tx *gorm.DB) error {
				return tx.WithContext(e.Ctx(e.Tenants[1])).Create(&Note{Tenant: e.Tenants[1], Body: "x"}).Error
			})
			if !errors.Is(err, tenantplugin.ErrCrossDatabase) {
				t.Fatalf("err = %v, want ErrCrossDatabase", err)
			}
		})
		t.Run("unknown alias", func(t *testing.T) {
			before := e.Counter.Total()
			err := db.Clauses(reserved.Use("nope")).Find(&[]Plan{}).Error
			if !errors.Is(err, tenantplugin.ErrUnknownAlias) {
				t.Fatalf("err = %v, want ErrUnknownAlias", err)
			}
			if e.Counter.Total() != before {
				t.Fatal("SQL sent for an unknown alias")
			}
		})
		assertIsolated(t, e)
		var central []Plan
		if err := e.DB.Order("id").Find(&central).Error; err != nil {
			t.Fatal(err)
		}
		if len(central) != 2 || central[0].Name != "gold" || central[1].Name != "silver" {
			t.Fatalf("central plans = %+v, want gold and silver", central)
		}
	})
}

// TestSessionReusedAcrossTenants keeps one session and gives it each
// tenant's context in turn, with prepared statements on: every tenant
// must read its own rows, never a statement cached for another.
func TestSessionReusedAcrossTenants(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 3, Gorm: gorm.Config{PrepareStmt: true}})
		migrateTenants(t, e)
		s := e.DB.Session(&gorm.Session{PrepareStmt: true})
		for _, id := range e.Tenants {
			if err := s.WithContext(e.Ctx(id)).Create(&Note{Tenant: id, Body: "mine"}).Error; err != nil {
				t.Fatal(err)
			}
		}
		for round := range 3 {
			for _, id := range e.Tenants {
				var n Note
				if err := s.WithContext(e.Ctx(id)).Where("body = ?", "mine").First(&n).Error; err != nil {
					t.Fatal(err)
				}
				if n.Tenant != id {
					t.Fatalf("round %d: tenant %s read tenant %s's row", round, id, n.Tenant)
				}
				tx := s.WithContext(e.Ctx(id)).Begin()
				if err := tx.Where("body = ?", "mine").First(&n).Error; err != nil {
					t.Fatal(err)
				}
				tx.Commit()
				if n.Tenant != id {
					t.Fatalf("round %d: tenant %s read tenant %s's row in a transaction", round, id, n.Tenant)
				}
			}
		}
	})
}

func TestDBStillWorks(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{})
	sqlDB, err := e.DB.DB()
	if err != nil {
		t.Fatalf("db.DB(): %v", err)
	}
	if err := sqlDB.Ping(); err != nil {
		t.Fatal(err)
	}
}

func TestInitializeErrors(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{NoPlugin: true})
	tests := []struct {
		name string
		cfg  tenantplugin.Config
	}{
		{"no resolver", tenantplugin.Config{}},
		{"nil strategy", tenantplugin.Config{Resolver: nilResolver{}, Strategies: []tenantplugin.Strategy{nil}}},
		{"empty alias", tenantplugin.Config{Resolver: nilResolver{}, ReservedPools: map[string]gorm.ConnPool{"": &sql.DB{}}}},
		{"nil pool", tenantplugin.Config{Resolver: nilResolver{}, ReservedPools: map[string]gorm.ConnPool{"x": nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := e.DB.Session(&gorm.Session{})
			if err := db.Use(tenantplugin.New(tt.cfg)); err == nil {
				t.Fatal("Use succeeded")
			}
		})
	}
}

type nilResolver struct{}

func (nilResolver) ConnPool(context.Context, string, tenantplugin.Access) (gorm.ConnPool, error) {
	return nil, tenant.ErrUnknown
}
