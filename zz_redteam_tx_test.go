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
)

// RTAudited is central; creating one writes an RTPatient (a tenant
// model) from its AfterCreate hook, on the hook's session.
type RTAudited struct {
	ID   uint
	Name string
}

func (a *RTAudited) AfterCreate(tx *gorm.DB) error {
	return tx.Create(&RTPatient{Name: "hook-" + a.Name}).Error
}

// TestRedteamCentralTransactionTakesTenantModelsWithoutTenant: GORM's
// implicit transaction of a central model's Create is on the central
// database. A tenant model saved in it (an association of the central
// model, or a row its hook writes) is refused when the context has a
// tenant, but with no tenant in the context boundTx.admits lets it
// through: the tenant model's row is committed into the central
// database. Outside a transaction the same statement fails with
// tenant.ErrMissing, as the README's "Fail closed" table says ("no tenant in
// the context, no reserved route"). Expected: tenant.ErrMissing (or
// ErrCrossDatabase), and no tenant row in the central database.
func TestRedteamCentralTransactionTakesTenantModelsWithoutTenant(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		strategies := append(rtStrategies(), reserved.Models(tenantplugin.DefaultAlias, &RTAudited{}))
		e := rtEnv(t, b, fixture.Options{Tenants: 1, Strategies: strategies})
		if err := e.DB.AutoMigrate(&RTAudited{}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			run  func() error
		}{
			{"association", func() error {
				return e.DB.Create(&RTClinic{Name: "c", Patients: []RTPatient{{Name: "assoc-leak"}}}).Error
			}},
			{"association Append", func() error {
				c := RTClinic{Name: "c2"}
				if err := e.DB.Create(&c).Error; err != nil {
					return err
				}
				return e.DB.Model(&c).Association("Patients").Append(&RTPatient{Name: "append-leak"})
			}},
			{"hook", func() error { return e.DB.Create(&RTAudited{Name: "leak"}).Error }},
			{"explicit transaction", func() error {
				return e.DB.Transaction(func(tx *gorm.DB) error {
					if err := tx.Create(&RTClinic{Name: "c3"}).Error; err != nil {
						return err
					}
					return tx.Create(&RTPatient{Name: "tx-leak"}).Error
				})
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := c.run()
				if !errors.Is(err, tenant.ErrMissing) && !errors.Is(err, tenantplugin.ErrCrossDatabase) {
					t.Errorf("err = %v, want tenant.ErrMissing or ErrCrossDatabase", err)
				}
			})
		}
		if n := centralCount(t, e, `SELECT count(*) FROM rt_patients`); n != 0 {
			t.Errorf("the central database holds %d rows of the tenant model RTPatient", n)
		}
	})
}

// TestRedteamCrossDatabaseHintSendsTenantRowsToCentral: with a tenant in
// the context, the same association is refused, but the message says
// "use reserved.Use to send it there": following it writes the tenant's
// patients into the central database. Expected: a message that names
// the tenant model and the ways that keep it on the tenant's database
// (save the association on its own, Omit it, or SkipDefaultTransaction),
// not reserved.Use.
func TestRedteamCrossDatabaseHintSendsTenantRowsToCentral(t *testing.T) {
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 1})
	err := e.DB.WithContext(e.Ctx(e.Tenants[0])).
		Create(&RTClinic{Name: "c", Patients: []RTPatient{{Name: "p"}}}).Error
	if !errors.Is(err, tenantplugin.ErrCrossDatabase) {
		t.Fatalf("err = %v, want ErrCrossDatabase", err)
	}
	if strings.Contains(err.Error(), "reserved.Use") {
		t.Errorf("the message tells the user to send a tenant model's rows to the reserved database: %v", err)
	}
}

// TestRedteamAdoptTxHijacksTheCallersSession: AdoptTx makes its session
// with db.Session(&gorm.Session{}), which shares db's Statement, and then
// sets that Statement's pool. The caller's *gorm.DB is now bound to the
// adopted transaction. Given the application's root *gorm.DB (natural for
// central work, which needs no tenant), every later statement of the
// whole application runs in that transaction: unrelated central writes
// join it and vanish when it rolls back, tenant statements fail with a
// misleading ErrCrossDatabase, and once it has ended every statement
// fails. Expected: AdoptTx leaves its argument alone.
func TestRedteamAdoptTxHijacksTheCallersSession(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		a := e.Tenants[0]
		central, err := e.DB.DB()
		if err != nil {
			t.Fatal(err)
		}
		tx, err := central.BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		s := tenantplugin.AdoptTx(e.DB, tx, tenantplugin.ReservedRoute(tenantplugin.DefaultAlias))
		// A read only: on SQLite a write would hold the database's write
		// lock, and an unrelated write would wait for it.
		if err := s.Find(&[]AuditLog{}).Error; err != nil {
			t.Fatal(err)
		}
		// Unrelated work elsewhere in the application, meanwhile.
		if err := e.DB.Create(&AuditLog{Body: "unrelated"}).Error; err != nil {
			t.Errorf("unrelated central write: %v", err)
		}
		if err := e.DB.WithContext(e.Ctx(a)).Create(&Note{Tenant: a, Body: "unrelated"}).Error; err != nil {
			t.Errorf("unrelated tenant write: %v", err)
		}
		if err := s.Rollback().Error; err != nil {
			t.Fatal(err)
		}
		// Counted on the central *sql.DB directly: the root *gorm.DB may
		// be unusable by now.
		var n int64
		if err := central.QueryRow(`SELECT count(*) FROM audit_logs WHERE body = 'unrelated'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("unrelated central write: %d rows after the adopted transaction rolled back, want 1", n)
		}
		if err := e.DB.Create(&AuditLog{Body: "later"}).Error; err != nil {
			t.Errorf("central write after the adopted transaction ended: %v", err)
		}
	})
}

// TestRedteamRefusedAdoptTxBreaksTransactions: a refused AdoptTx (no
// tenant in the context, as in TestAdoptTx's "fail closed" subtest) puts
// its failing pool on the caller's Statement. Statements still route
// (the router replaces any pool that is not a transaction), but Begin
// uses the Statement's pool: every later transaction of the application
// fails with tenant.ErrMissing, whatever its tenant. Expected: AdoptTx leaves
// its argument alone.
func TestRedteamRefusedAdoptTxBreaksTransactions(t *testing.T) {
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 1})
	a := e.Tenants[0]
	central, err := e.DB.DB()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := central.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if s := tenantplugin.AdoptTx(e.DB, tx, tenantplugin.TenantRoute()); !errors.Is(s.Error, tenant.ErrMissing) {
		t.Fatalf("AdoptTx without tenant: %v", s.Error)
	}
	err = e.DB.WithContext(e.Ctx(a)).Transaction(func(tx *gorm.DB) error {
		return tx.Create(&Note{Tenant: a, Body: "after a refused AdoptTx"}).Error
	})
	if err != nil {
		t.Errorf("a tenant's transaction after a refused AdoptTx elsewhere: %v", err)
	}
}

// TestRedteamAdoptTxOfAnotherTenantsTransaction: AdoptTx says it cannot
// check that tx is on the context's tenant's database, but for a
// transaction the plugin (or the resolver) began it knows which tenant it
// is on. Adopting tenant B's transaction under tenant A's context writes
// A's rows into B's database. Expected: ErrCrossDatabase on the session,
// nothing sent.
func TestRedteamAdoptTxOfAnotherTenantsTransaction(t *testing.T) {
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 2})
	a, bb := e.Tenants[0], e.Tenants[1]
	txB := e.DB.WithContext(e.Ctx(bb)).Begin()
	if txB.Error != nil {
		t.Fatal(txB.Error)
	}
	defer txB.Rollback()
	inner, ok := txB.Statement.ConnPool.(gorm.Tx)
	if !ok {
		t.Fatalf("tenant transaction pool is %T", txB.Statement.ConnPool)
	}
	s := tenantplugin.AdoptTx(e.DB.WithContext(e.Ctx(a)), inner, tenantplugin.TenantRoute())
	d, err := sent(e, func() error {
		if s.Error != nil {
			return s.Error
		}
		return s.Create(&Note{Tenant: a, Body: "adopted-across"}).Error
	})
	wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
}

// TestRedteamReusedMigratorStaysOnCentral: the migrator wrapper runs a
// central model's method on a session pinned to the central database,
// made with m.db.Session(&gorm.Session{}), which shares the migrator's
// own Statement: the migrator is pinned for good. A migrator reused for
// a tenant model afterwards (the usual m := db.Migrator(); if
// !m.HasTable(x) { m.CreateTable(x) } over several models) creates the
// tenant's table in the central database. Expected: each call routes by
// its own model.
func TestRedteamReusedMigratorStaysOnCentral(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		a := e.Tenants[0]
		for _, c := range []struct {
			name string
			run  func(m gorm.Migrator) error
		}{
			{"CreateTable", func(m gorm.Migrator) error { return m.CreateTable(&RTMemo{}) }},
			{"AutoMigrate", func(m gorm.Migrator) error { return m.AutoMigrate(&RTMemo{}) }},
		} {
			t.Run(c.name, func(t *testing.T) {
				tenantDB := e.DB.WithContext(e.Ctx(a))
				for _, db := range []*gorm.DB{tenantDB, e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias))} {
					if err := db.Migrator().DropTable(&RTMemo{}); err != nil {
						t.Fatal(err)
					}
				}
				m := tenantDB.Migrator()
				if !m.HasTable(&AuditLog{}) { // a central model first
					t.Fatal("the central audit_logs table is not found")
				}
				d, err := sent(e, func() error { return c.run(m) })
				if err != nil {
					t.Errorf("err = %v (sent %v)", err, d)
				}
				if d[fixture.Central] != 0 || !tenantDB.Migrator().HasTable(&RTMemo{}) {
					t.Errorf("the tenant table was not created on the tenant's database (sent %v)", d)
				}
			})
		}
	})
}
