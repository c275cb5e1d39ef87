package tenantplugin_test

// Red-team attacks that HOLD: each test below tries a way to cross
// tenants or databases that no other test covers, and passes on the
// current code. They stay as regression tests.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// HELD. TestRedteamHeldPreparedSessionFollowsSwap: a PrepareStmt session
// reads a tenant's row, the tenant is moved to another database (Set)
// while a prepared transaction of the same session is open: the session
// then reads the new database (no statement prepared on the old pool
// answers), the open transaction keeps reading the old one until it
// commits.
func TestRedteamHeldPreparedSessionFollowsSwap(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 3})
		migrateTenants(t, e)
		a, target := e.Tenants[0], e.Tenants[2]
		for _, id := range e.Tenants {
			if err := e.DB.WithContext(e.Ctx(id)).Create(&Note{Tenant: id, Body: "mine"}).Error; err != nil {
				t.Fatal(err)
			}
		}
		s := e.DB.Session(&gorm.Session{PrepareStmt: true})
		read := func(db *gorm.DB) string {
			t.Helper()
			var n Note
			if err := db.Where("body = ?", "mine").First(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n.Tenant
		}
		if got := read(s.WithContext(e.Ctx(a))); got != a {
			t.Fatalf("before the move: read %s's row", got)
		}
		tx := s.WithContext(e.Ctx(a)).Begin()
		if tx.Error != nil {
			t.Fatal(tx.Error)
		}
		defer tx.Rollback()
		if got := read(tx); got != a {
			t.Fatalf("transaction before the move: read %s's row", got)
		}
		// The target's database is freed first: no two tenants share one.
		if err := e.Resolver.Remove(context.Background(), target); err != nil {
			t.Fatal(err)
		}
		if err := e.Resolver.Set(context.Background(), a, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: e.Names[target]}}); err != nil {
			t.Fatal(err)
		}
		if got := read(s.WithContext(e.Ctx(a))); got != target {
			t.Errorf("after the move: read %s's row, want the new database's (%s)", got, target)
		}
		if got := read(tx); got != a {
			t.Errorf("transaction begun before the move: read %s's row, want %s", got, a)
		}
		if err := tx.Commit().Error; err != nil {
			t.Fatal(err)
		}
	})
}

// HELD. TestRedteamHeldRemoveDuringTransaction: a tenant removed while
// its transaction is open: the transaction's statements and its commit
// still reach only the tenant's database; new work gets tenant.ErrUnknown
// and sends nothing.
func TestRedteamHeldRemoveDuringTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 2})
		migrateTenants(t, e)
		a := e.Tenants[0]
		tx := e.DB.WithContext(e.Ctx(a)).Begin()
		if tx.Error != nil {
			t.Fatal(tx.Error)
		}
		defer tx.Rollback()
		d, err := sent(e, func() error {
			if err := tx.Create(&Note{Tenant: a, Body: "before-remove"}).Error; err != nil {
				return err
			}
			if err := e.Resolver.Remove(context.Background(), a); err != nil {
				return err
			}
			if err := tx.Create(&Note{Tenant: a, Body: "after-remove"}).Error; err != nil {
				return err
			}
			return tx.Commit().Error
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(d) != 1 || d[a] == 0 {
			t.Errorf("sent %v, want tenant %s's database only", d, a)
		}
		var n int
		if err := e.OpenTenantDB(t, a).QueryRow(`SELECT count(*) FROM notes WHERE body IN ('before-remove', 'after-remove')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("tenant %s's database holds %d of the 2 committed rows", a, n)
		}
		d, err = sent(e, func() error { return e.DB.WithContext(e.Ctx(a)).Find(&[]Note{}).Error })
		wantRefused(t, err, d, tenant.ErrUnknown)
	})
}

// HELD. TestRedteamHeldSharedSessionAcrossGoroutines: one session (plain
// and PrepareStmt) shared by goroutines that each give it another
// tenant's context, reading and writing, in and out of transactions:
// every read returns its own tenant's rows only.
func TestRedteamHeldSharedSessionAcrossGoroutines(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 4})
		migrateTenants(t, e)
		for _, shared := range []*gorm.DB{e.DB.Session(&gorm.Session{}), e.DB.Session(&gorm.Session{PrepareStmt: true})} {
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for g := range 8 {
				wg.Go(func() {
					for i := range 15 {
						id := e.Tenants[(g+i)%len(e.Tenants)]
						db := shared.WithContext(e.Ctx(id))
						if err := db.Create(&Note{Tenant: id, Body: "shared"}).Error; err != nil {
							errs <- err
							return
						}
						var notes []Note
						if err := db.Where("body = ?", "shared").Find(&notes).Error; err != nil {
							errs <- err
							return
						}
						err := db.Transaction(func(tx *gorm.DB) error {
							var inTx []Note
							if err := tx.Where("body = ?", "shared").Find(&inTx).Error; err != nil {
								return err
							}
							return checkMine(id, append(notes, inTx...))
						})
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		}
		assertIsolated(t, e)
	})
}

// RTHooked is a tenant model whose AfterCreate hook does what its Body
// says, on the hook's session.
type RTHooked struct {
	ID     uint
	Tenant string
	Body   string
	other  context.Context
}

func (h *RTHooked) AfterCreate(tx *gorm.DB) error {
	switch h.Body {
	case "write central":
		return tx.Create(&AuditLog{Body: "from a tenant hook"}).Error
	case "write other tenant":
		return tx.WithContext(h.other).Create(&Note{Body: "from another tenant's hook"}).Error
	case "begin other tenant":
		return tx.WithContext(h.other).Transaction(func(t2 *gorm.DB) error {
			return t2.Create(&Note{Body: "from another tenant's hook"}).Error
		})
	}
	return nil
}

// HELD. TestRedteamHeldHooksCannotLeaveTheirDatabase: a tenant model's
// hook that writes a central model, or writes (or begins a transaction)
// with another tenant's context, is refused in GORM's implicit
// transaction; without it (SkipDefaultTransaction) a transaction begun
// from the hook's session for another tenant is refused by the tenant's
// pool. Nothing is committed anywhere but the hook's own row's database.
func TestRedteamHeldHooksCannotLeaveTheirDatabase(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 2})
		a, bb := e.Tenants[0], e.Tenants[1]
		for _, id := range e.Tenants {
			if err := e.DB.WithContext(e.Ctx(id)).AutoMigrate(&RTHooked{}); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			body string
			skip bool // SkipDefaultTransaction
		}{
			{"write central", false},
			{"write other tenant", false},
			{"begin other tenant", false},
			{"begin other tenant", true},
		} {
			t.Run(fmt.Sprintf("%s/skip=%v", c.body, c.skip), func(t *testing.T) {
				db := e.DB.Session(&gorm.Session{SkipDefaultTransaction: c.skip, Context: e.Ctx(a)})
				err := db.Create(&RTHooked{Tenant: a, Body: c.body, other: e.Ctx(bb)}).Error
				if !errors.Is(err, tenantplugin.ErrCrossDatabase) {
					t.Errorf("err = %v, want ErrCrossDatabase", err)
				}
			})
		}
		if n := countBody(t, e.DB.WithContext(e.Ctx(bb)), "from another tenant's hook"); n != 0 {
			t.Errorf("tenant %s holds %d notes written by tenant %s's hooks", bb, n, a)
		}
		if n := centralCount(t, e, `SELECT count(*) FROM audit_logs WHERE body = 'from a tenant hook'`); n != 0 {
			t.Errorf("the central database holds %d rows written by a tenant hook in its transaction", n)
		}
	})
}

// HELD. TestRedteamHeldContextSwitchInsideTransaction: inside tenant A's
// transaction, every way GORM has to give a statement another context
// (Session{NewDB, Context}, WithContext in a scope, a Preload function,
// FindInBatches' callback) is refused when the context names another
// tenant; a statement whose context names no tenant stays in A's
// transaction.
func TestRedteamHeldContextSwitchInsideTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 2})
		migrateTenants(t, e)
		a, bb := e.Tenants[0], e.Tenants[1]
		if err := e.DB.WithContext(e.Ctx(a)).Create(&Note{Tenant: a, Body: "n", Tags: []Tag{{Tenant: a, Name: "t"}}}).Error; err != nil {
			t.Fatal(err)
		}
		other := e.Ctx(bb)
		for _, c := range []struct {
			name string
			run  func(tx *gorm.DB) error
		}{
			{"Session NewDB Context", func(tx *gorm.DB) error {
				return tx.Session(&gorm.Session{NewDB: true, Context: other}).Create(&Note{Body: "switched"}).Error
			}},
			{"scope", func(tx *gorm.DB) error {
				return tx.Scopes(func(d *gorm.DB) *gorm.DB { return d.WithContext(other) }).Find(&[]Note{}).Error
			}},
			{"Preload function", func(tx *gorm.DB) error {
				return tx.Preload("Tags", func(d *gorm.DB) *gorm.DB { return d.WithContext(other) }).Find(&[]Note{}).Error
			}},
			{"FindInBatches callback", func(tx *gorm.DB) error {
				var notes []Note
				return tx.FindInBatches(&notes, 10, func(batch *gorm.DB, _ int) error {
					return batch.WithContext(other).Create(&Note{Body: "switched"}).Error
				}).Error
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				err := e.DB.WithContext(e.Ctx(a)).Transaction(c.run)
				if !errors.Is(err, tenantplugin.ErrCrossDatabase) {
					t.Errorf("err = %v, want ErrCrossDatabase", err)
				}
			})
		}
		d, err := sent(e, func() error {
			return e.DB.WithContext(e.Ctx(a)).Transaction(func(tx *gorm.DB) error {
				return tx.WithContext(context.Background()).Create(&Note{Tenant: a, Body: "no tenant in tx"}).Error
			})
		})
		if err != nil || len(d) != 1 || d[a] == 0 {
			t.Errorf("statement without tenant in %s's transaction: err = %v, sent %v", a, err, d)
		}
		if n := countBody(t, e.DB.WithContext(e.Ctx(bb)), "switched"); n != 0 {
			t.Errorf("tenant %s holds %d notes written from %s's transaction", bb, n, a)
		}
	})
}

// HELD. TestRedteamHeldGenericsAPI: GORM's generics API (gorm.G[T]) takes
// the context per call: each entry point reaches only that tenant's
// database, fails closed without a tenant, and its Set with a
// subquery on a central table is refused, as is a named (sql.Named)
// subquery in Raw.
func TestRedteamHeldGenericsAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 2})
		a := e.Tenants[0]
		g := gorm.G[Note](e.DB)
		ops := []struct {
			name string
			run  func(ctx context.Context) error
		}{
			{"Create", func(ctx context.Context) error { return g.Create(ctx, &Note{Tenant: a, Body: "generic"}) }},
			{"Find", func(ctx context.Context) error {
				notes, err := g.Where("body = ?", "generic").Find(ctx)
				if err == nil {
					err = checkMine(a, notes)
				}
				return err
			}},
			{"Update", func(ctx context.Context) error {
				_, err := g.Where("body = ?", "none").Update(ctx, "body", "x")
				return err
			}},
			{"Delete", func(ctx context.Context) error { _, err := g.Where("body = ?", "none").Delete(ctx); return err }},
			{"Count", func(ctx context.Context) error { _, err := g.Count(ctx, "*"); return err }},
			{"Exec", func(ctx context.Context) error { return g.Exec(ctx, "UPDATE notes SET body = body WHERE id < 0") }},
			{"Raw", func(ctx context.Context) error { _, err := g.Raw("SELECT * FROM notes").Find(ctx); return err }},
		}
		for _, op := range ops {
			t.Run(op.name, func(t *testing.T) {
				d, err := sent(e, func() error { return op.run(e.Ctx(a)) })
				if err != nil || len(d) != 1 || d[a] == 0 {
					t.Errorf("err = %v, sent %v; want tenant %s's database only", err, d, a)
				}
				d, err = sent(e, func() error { return op.run(context.Background()) })
				wantRefused(t, err, d, tenant.ErrMissing)
			})
		}
		t.Run("Set with a central subquery", func(t *testing.T) {
			d, err := sent(e, func() error {
				_, err := g.Where("id < 0").Set(clause.Assignment{Column: clause.Column{Name: "body"},
					Value: gorm.Expr("(SELECT body FROM audit_logs LIMIT 1)")}).Update(e.Ctx(a))
				return err
			})
			wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
		})
		t.Run("sql.Named subquery", func(t *testing.T) {
			d, err := sent(e, func() error {
				var n int64
				return e.DB.WithContext(e.Ctx(a)).Raw("SELECT count(*) FROM notes WHERE id IN (@ids)",
					sql.Named("ids", e.DB.Model(&AuditLog{}).Select("id"))).Scan(&n).Error
			})
			wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
		})
	})
}

// HELD. TestRedteamHeldUpsertsAndExpressions: upserts whose DoUpdates or
// conflict condition read a central table, a clause.Expr used as a bound
// value and a Table().Create(map) naming a central table in a value are
// refused before anything is sent; a Preload condition naming one is
// refused before the preload's statement is sent.
func TestRedteamHeldUpsertsAndExpressions(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		a := e.Tenants[0]
		db := e.DB.WithContext(e.Ctx(a))
		sub := "(SELECT body FROM audit_logs LIMIT 1)"
		for _, c := range []struct {
			name string
			run  func() error
		}{
			{"OnConflict DoUpdates", func() error {
				return db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}},
					DoUpdates: clause.Assignments(map[string]any{"body": gorm.Expr(sub)})}).Create(&Note{Tenant: a, Body: "u"}).Error
			}},
			{"OnConflict Where", func() error {
				return db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}},
					Where:     clause.Where{Exprs: []clause.Expression{gorm.Expr("notes.body IN " + sub)}},
					DoUpdates: clause.AssignmentColumns([]string{"body"})}).Create(&Note{Tenant: a, Body: "u"}).Error
			}},
			{"clause.Expr value", func() error {
				return db.Where("body = ?", clause.Expr{SQL: sub}).Find(&[]Note{}).Error
			}},
			{"Table Create map", func() error {
				return db.Table("notes").Create(map[string]any{"tenant": a, "body": gorm.Expr(sub)}).Error
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				d, err := sent(e, c.run)
				wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
			})
		}
		t.Run("Preload condition", func(t *testing.T) {
			if err := db.Create(&Note{Tenant: a, Body: "p", Tags: []Tag{{Tenant: a, Name: "t"}}}).Error; err != nil {
				t.Fatal(err)
			}
			// The notes are read; their tags' statement is refused.
			d, err := sent(e, func() error { return db.Preload("Tags", "name IN "+sub).Find(&[]Note{}).Error })
			if !errors.Is(err, tenantplugin.ErrCrossDatabase) || d[fixture.Central] != 0 || d[a] != 1 {
				t.Errorf("err = %v, sent %v; want ErrCrossDatabase after one statement on %s", err, d, a)
			}
		})
	})
}

// HELD. TestRedteamHeldDialectSyntax: raw SQL in forms the README does
// not list, each naming a central table (possibly with a tenant one):
// SQLite's [ident], `ident` and 'ident' table names, and PostgreSQL's
// column alias lists, UPDATE ... FROM, WITH ... MERGE, ALTER TABLE ...
// RENAME TO, CREATE TABLE (LIKE t), schema."Table": each goes to the
// central database, or is refused when it mixes. An unterminated
// trailing comment (which SQLite itself accepts) is refused as
// unreadable.
func TestRedteamHeldDialectSyntax(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		db := e.DB.WithContext(e.Ctx(e.Tenants[0]))
		type sqlCase struct {
			sql  string
			want error // nil: central
		}
		cases := []sqlCase{{`SELECT count(*) FROM audit_logs /* trailing`, tenantplugin.ErrUnreadableSQL}}
		if b == fixture.SQLite {
			cases = append(cases,
				sqlCase{`SELECT count(*) FROM [audit_logs]`, nil},
				sqlCase{"SELECT count(*) FROM `audit_logs`", nil},
				sqlCase{`SELECT count(*) FROM 'audit_logs'`, nil},
				sqlCase{`SELECT count(*) FROM [notes], audit_logs`, tenantplugin.ErrCrossDatabase},
				sqlCase{"SELECT count(*) FROM audit_logs JOIN `notes` ON 1", tenantplugin.ErrCrossDatabase},
			)
		} else {
			cases = append(cases,
				sqlCase{`SELECT count(*) FROM public."audit_logs"`, nil},
				sqlCase{`SELECT count(*) FROM audit_logs a (x, y), notes`, tenantplugin.ErrCrossDatabase},
				sqlCase{`UPDATE notes SET body = a.body FROM audit_logs a WHERE a.id = notes.id AND false`, tenantplugin.ErrCrossDatabase},
				sqlCase{`WITH x AS (SELECT 1) MERGE INTO notes n USING audit_logs a ON n.id = a.id WHEN MATCHED THEN DO NOTHING`, tenantplugin.ErrCrossDatabase},
				sqlCase{`ALTER TABLE notes RENAME TO audit_logs`, tenantplugin.ErrCrossDatabase},
				sqlCase{`CREATE TABLE rt_copy (LIKE audit_logs)`, tenantplugin.ErrCrossDatabase},
				sqlCase{`INSERT INTO audit_logs (body) SELECT "body" FROM "public"."notes"`, tenantplugin.ErrCrossDatabase},
			)
		}
		for _, c := range cases {
			t.Run(c.sql, func(t *testing.T) {
				d, err := sent(e, func() error { return db.Exec(c.sql).Error })
				if c.want != nil {
					wantRefused(t, err, d, c.want)
					return
				}
				if err != nil || len(d) != 1 || d[fixture.Central] == 0 {
					t.Errorf("err = %v, sent %v; want the central database only", err, d)
				}
			})
		}
	})
}
