package tenantplugin_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// Fifth round of attacks tried from outside. TestRedTeam5 tests show a
// way a statement reached a database it must not; TestRedTeam5Held
// tests are attacks that held, kept as regression tests.

// TestRedTeam5SQLiteAttachReachesAnotherDatabase: SQLite's ATTACH
// DATABASE opens any database file on the connection that runs it,
// under a schema name of the caller's choosing. A statement for tenant
// A that attaches tenant B's file (or the central database's) is routed
// to A, where it runs; the statements that follow read and write B's
// rows as "b.notes", which the strategies take for the tenant's own
// table notes. Expected: the tenant's connection refuses the ATTACH
// (sqlitedriver.ErrAttach). The statement counter wraps the driver from
// outside, so it counts the refused statement on A.
func TestRedTeam5SQLiteAttachReachesAnotherDatabase(t *testing.T) {
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 2})
	a, b := e.Tenants[0], e.Tenants[1]
	if err := e.DB.WithContext(e.Ctx(b)).Create(&Note{ID: 7, Tenant: b, Body: "b's secret"}).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Create(&Note{ID: 8, Tenant: "legacy", Body: "central secret"}).Error; err != nil {
		t.Fatal(err)
	}
	// One connection, so that the attachment is on the connection the
	// next statements run on (an application's pool gets there too, by
	// chance).
	ctxA := e.Ctx(a)
	lease, err := e.Resolver.Lease(ctxA, a)
	if err != nil {
		t.Fatal(err)
	}
	lease.DB().SetMaxOpenConns(1)
	lease.Release()
	db := e.DB.WithContext(ctxA)

	for _, c := range []struct {
		name, file, schema string
	}{
		{"tenant B", e.Names[b], "other"},
		{"central", filepath.Join(filepath.Dir(e.Names[a]), "central.db"), "boot"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := sent(e, func() error {
				return db.Exec("ATTACH DATABASE ? AS "+c.schema, c.file).Error
			})
			if err == nil {
				t.Errorf("ATTACH of %s's file for tenant %q: sent %v, no error", c.name, a, d)
				var body string
				if err := db.Raw("SELECT body FROM " + c.schema + ".notes LIMIT 1").Scan(&body).Error; err == nil && body != "" {
					t.Errorf("tenant %q read %q from %s's database", a, body, c.name)
				}
				_ = db.Exec("DETACH DATABASE " + c.schema).Error
				return
			}
			if !errors.Is(err, sqlitedriver.ErrAttach) {
				t.Errorf("err = %v, want sqlitedriver.ErrAttach", err)
			}
			if len(d) > 1 || d[fixture.Central] != 0 {
				t.Errorf("statements sent: %v, want at most the refused one on %q", d, a)
			}
			var n int64
			if err := db.Raw("SELECT count(*) FROM " + c.schema + ".notes").Scan(&n).Error; err == nil {
				t.Errorf("%s.notes readable after the refused ATTACH (%d rows)", c.schema, n)
			}
		})
	}
}

// TestRedTeam5HeldNoTenantReachesNothing: the entry points that take
// rows apart from Find (Rows, Row, Pluck, Count with Group, Having and
// Distinct, FindInBatches, Migrator look-ups of a tenant model) with
// no tenant in the context fail with tenant.ErrMissing, and send
// nothing anywhere (the central database has the tenant tables too).
func TestRedTeam5HeldNoTenantReachesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		db := e.DB.WithContext(context.Background())
		for _, c := range []struct {
			name string
			run  func() error
		}{
			{"Rows", func() error {
				rows, err := db.Model(&Note{}).Rows()
				if rows != nil {
					_ = rows.Close()
				}
				return err
			}},
			{"Row", func() error { var n int64; return db.Model(&Note{}).Select("count(*)").Row().Scan(&n) }},
			{"Pluck", func() error { var ids []uint; return db.Model(&Note{}).Pluck("id", &ids).Error }},
			{"Count Group Having", func() error {
				var n int64
				return db.Model(&Note{}).Group("tenant").Having("count(*) > ?", 0).Count(&n).Error
			}},
			{"Count Distinct", func() error { var n int64; return db.Model(&Note{}).Distinct("tenant").Count(&n).Error }},
			{"FindInBatches", func() error {
				var ns []Note
				return db.FindInBatches(&ns, 10, func(*gorm.DB, int) error { return nil }).Error
			}},
			{"Migrator ColumnTypes", func() error { _, err := db.Migrator().ColumnTypes(&Note{}); return err }},
			{"Migrator GetTables", func() error { _, err := db.Migrator().GetTables(); return err }},
			{"Raw named args", func() error {
				var n int64
				return db.Raw("SELECT count(*) FROM notes WHERE tenant = @t", sql.Named("t", "x")).Scan(&n).Error
			}},
			{"Exec two statements", func() error { return db.Exec("DELETE FROM notes; DELETE FROM tags").Error }},
			{"generics", func() error { _, err := gorm.G[Note](db).Where("id > ?", 0).Find(context.Background()); return err }},
		} {
			t.Run(c.name, func(t *testing.T) {
				d, err := sent(e, c.run)
				wantRefused(t, err, d, tenant.ErrMissing)
			})
		}
	})
}

// TestRedTeam5HeldReservedTableFromTenantContext: ways of naming a
// reserved table inside a tenant model's statement that the plugin must
// read before it sends anything: a second statement after ';', a
// subquery built from another *gorm.DB (in Where, in Table("(?) as s"),
// in a clause.Expr, as a named argument of Raw), and GORM's UPDATE
// clause retargeted at another table. Each is refused, nothing sent.
func TestRedTeam5HeldReservedTableFromTenantContext(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		db := e.DB.WithContext(e.Ctx(e.Tenants[0]))
		sub := func() *gorm.DB { return e.DB.Table("audit_logs").Select("id") }
		for _, c := range []struct {
			name string
			run  func() error
		}{
			{"Exec ; reserved", func() error {
				return db.Exec("UPDATE notes SET body = 'x' WHERE id = 0; DELETE FROM audit_logs").Error
			}},
			{"Where subquery", func() error {
				var ns []Note
				return db.Where("id IN (?)", sub()).Find(&ns).Error
			}},
			{"Table subquery", func() error {
				var ids []uint
				return db.Table("(?) as s, notes", sub()).Where("notes.id = s.id").Pluck("notes.id", &ids).Error
			}},
			{"clause.Expr subquery", func() error {
				var ns []Note
				return db.Clauses(clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "id IN (?)", Vars: []any{sub()}}}}).Find(&ns).Error
			}},
			{"Raw named subquery", func() error {
				var n int64
				return db.Raw("SELECT count(*) FROM notes WHERE id IN (@s)", sql.Named("s", sub())).Scan(&n).Error
			}},
			{"Update clause table", func() error {
				return db.Model(&Note{}).Clauses(clause.Update{Table: clause.Table{Name: "audit_logs"}}).
					Where("id > ?", 0).Update("body", "x").Error
			}},
			{"OnConflict DoUpdates subquery", func() error {
				return db.Clauses(clause.OnConflict{
					Columns:   []clause.Column{{Name: "id"}},
					DoUpdates: clause.Set{{Column: clause.Column{Name: "body"}, Value: gorm.Expr("(?)", e.DB.Table("audit_logs").Select("body").Limit(1))}},
				}).Create(&Note{ID: 1, Body: "y"}).Error
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				d, err := sent(e, c.run)
				if c.name == "Update clause table" {
					// GORM's implicit transaction begins (and rolls
					// back) on the tenant before the UPDATE is refused.
					delete(d, e.Tenants[0])
				}
				wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
			})
		}
	})
}

// flipCtx answers each look-up of a value with the next of its contexts
// in turn: a context whose tenant changes between the plugin's reads.
type flipCtx struct {
	context.Context
	ctxs []context.Context
	n    atomic.Int64
}

func (f *flipCtx) Value(key any) any {
	i := f.n.Add(1) - 1
	return f.ctxs[i%int64(len(f.ctxs))].Value(key)
}

// TestRedTeam5HeldMixedContextsInTransaction: inside tenant A's
// transaction, statements, savepoints and nested transactions whose
// context names tenant B, a context whose tenant flips between A, B and
// none on every read, an explicit reserved.Use, and a central model's
// Save: each is refused or stays on A. Nothing reaches B or the central
// database.
func TestRedTeam5HeldMixedContextsInTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 2})
		a, bb := e.Tenants[0], e.Tenants[1]
		ctxA, ctxB := e.Ctx(a), e.Ctx(bb)
		flip := func() context.Context {
			return &flipCtx{Context: context.Background(), ctxs: []context.Context{ctxA, ctxB, context.Background()}}
		}
		var refusals []string
		d, err := sent(e, func() error {
			return e.DB.WithContext(ctxA).Transaction(func(tx *gorm.DB) error {
				refuse := func(name string, err error) {
					if !errors.Is(err, tenantplugin.ErrCrossDatabase) {
						refusals = append(refusals, name+": "+errString(err))
					}
				}
				refuse("Create for B", tx.WithContext(ctxB).Create(&Note{Body: "x"}).Error)
				refuse("SavePoint for B", tx.WithContext(ctxB).SavePoint("sp").Error)
				refuse("RollbackTo for B", tx.WithContext(ctxB).RollbackTo("sp").Error)
				refuse("nested Transaction for B", tx.WithContext(ctxB).Transaction(func(*gorm.DB) error { return nil }))
				refuse("reserved.Use", tx.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Find(&[]AuditLog{}).Error)
				refuse("Save central model", tx.Save(&AuditLog{ID: 1, Body: "x"}).Error)
				for i := range 6 {
					// On A, or refused: never elsewhere.
					err := tx.WithContext(flip()).Create(&Note{Body: "flip"}).Error
					if err != nil && !errors.Is(err, tenantplugin.ErrCrossDatabase) {
						refusals = append(refusals, fmt.Sprintf("flip %d: %v", i, err))
					}
				}
				return errors.New("roll back")
			})
		})
		if err == nil || err.Error() != "roll back" {
			t.Errorf("transaction: %v", err)
		}
		for _, r := range refusals {
			t.Errorf("not refused with ErrCrossDatabase: %s", r)
		}
		if d[bb] != 0 || d[fixture.Central] != 0 {
			t.Errorf("statements sent: %v, want only on %q", d, a)
		}
		// Flipping contexts outside a transaction: each statement lands
		// on A or B whole, or is refused; never on the central database.
		for range 6 {
			d, _ := sent(e, func() error { return e.DB.WithContext(flip()).Create(&Note{Body: "flip"}).Error })
			if d[fixture.Central] != 0 || (d[a] != 0 && d[bb] != 0) {
				t.Errorf("flipping context: statements sent %v", d)
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// TestRedTeam5HeldRowsOpenAcrossRemove: rows of tenant A kept open while
// A is removed are read to the end from A's database, and A's pool
// closes once they are closed; a statement for A after the removal
// fails with tenant.ErrUnknown and reaches nothing.
func TestRedTeam5HeldRowsOpenAcrossRemove(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 2})
		a := e.Tenants[0]
		db := e.DB.WithContext(e.Ctx(a))
		for i := range 3 {
			if err := db.Create(&Note{Tenant: a, Body: fmt.Sprint(i)}).Error; err != nil {
				t.Fatal(err)
			}
		}
		rows, err := db.Model(&Note{}).Order("id").Rows()
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Resolver.Remove(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var note Note
			if err := db.ScanRows(rows, &note); err != nil {
				t.Fatal(err)
			}
			if note.Tenant != a {
				t.Errorf("row of %q in %q's rows", note.Tenant, a)
			}
			n++
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil || n != 3 {
			t.Errorf("read %d rows, err %v; want 3", n, err)
		}
		d, err := sent(e, func() error { return db.Find(&[]Note{}).Error })
		wantRefused(t, err, d, tenant.ErrUnknown)
	})
}

// TestRedTeam5CatalogLookUpRunsSQLOnCentral: a statement that names only
// catalog relations goes where a bound string naming a reserved table
// says (for GORM's migrators' look-ups). PostgreSQL's catalog queries
// may call functions that run SQL given as text (query_to_xml) or read
// a table given by name (table_to_xml): the lexer sees neither. With a
// bound value "audit_logs", such a statement is sent to the central
// database, for a tenant's context or for none (which must fail with
// tenant.ErrMissing), and reads the central database's copy of the
// tenants' notes. Expected: the statement reaches no database but the
// tenant's (or is refused); the migrator's own look-ups of a reserved
// table still go to its database.
func TestRedTeam5CatalogLookUpRunsSQLOnCentral(t *testing.T) {
	e := rtEnv(t, fixture.Postgres, fixture.Options{Tenants: 1})
	if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Create(&Note{Tenant: "t99", Body: "secret-of-t99"}).Error; err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT query_to_xml('SELECT body FROM notes', true, false, '')::text FROM pg_catalog.pg_class WHERE relname = ?`,
		`SELECT table_to_xml('notes', true, false, '')::text FROM pg_catalog.pg_class WHERE relname = ?`,
	} {
		for _, c := range []struct {
			name string
			ctx  context.Context
		}{{"tenant", e.Ctx(e.Tenants[0])}, {"no tenant", context.Background()}} {
			t.Run(c.name, func(t *testing.T) {
				var out []string
				d, err := sent(e, func() error { return e.DB.WithContext(c.ctx).Raw(q, "audit_logs").Scan(&out).Error })
				if d[fixture.Central] != 0 {
					t.Errorf("%s\nerr = %v, sent %v: read %q on the central database", q, err, d, out)
				}
				if c.ctx == context.Background() && !errors.Is(err, tenant.ErrMissing) {
					t.Errorf("no tenant: err = %v, want tenant.ErrMissing", err)
				}
			})
		}
	}
	for _, v := range []any{&AuditLog{}, "audit_logs"} {
		var has bool
		d, _ := sent(e, func() error { has = e.DB.Migrator().HasTable(v); return nil })
		if !has || len(d) != 1 || d[fixture.Central] == 0 {
			t.Errorf("Migrator().HasTable(%v) = %v, sent %v; want true from the central database", v, has, d)
		}
	}
}
