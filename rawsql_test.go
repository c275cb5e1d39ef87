package tenantplugin_test

import (
	"errors"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
)

// AuditLog and Hospital (of the examples) are central models in the raw
// SQL tests.
type AuditLog struct {
	ID   uint
	Body string
}

// Visit is a tenant model with an association to a central one. The
// constraint:- tag keeps GORM from migrating Hospital with it.
type Visit struct {
	ID         uint
	HospitalID uint
	Hospital   Hospital `gorm:"constraint:-"`
}

// where a routing case must end.
const (
	toCentral = "central"
	toTenant  = "tenant"
)

// routeCase is one statement and where it must go: toCentral, toTenant,
// or an error it must fail with before anything is sent.
type routeCase struct {
	name   string
	pgOnly bool
	run    func(db *gorm.DB) error
	want   string
	err    error
	dbErr  bool // the database may refuse it; only where it went counts
}

func raw(sql string) func(*gorm.DB) error {
	return func(db *gorm.DB) error {
		var rows []map[string]any
		return db.Raw(sql).Scan(&rows).Error
	}
}

func exec(sql string) func(*gorm.DB) error {
	return func(db *gorm.DB) error { return db.Exec(sql).Error }
}

func count(f func(*gorm.DB) *gorm.DB) func(*gorm.DB) error {
	return func(db *gorm.DB) error {
		var n int64
		return f(db).Count(&n).Error
	}
}

func routeCases() []routeCase {
	central := func(name, sql string) routeCase {
		return routeCase{name: name, run: raw(sql), want: toCentral}
	}
	tenant := func(name, sql string) routeCase {
		return routeCase{name: name, run: raw(sql), want: toTenant}
	}
	cross := func(name, sql string) routeCase {
		return routeCase{name: name, run: raw(sql), err: tenantplugin.ErrCrossDatabase}
	}
	pg := func(c routeCase) routeCase { c.pgOnly = true; return c }
	dbErr := func(c routeCase) routeCase { c.dbErr = true; return c }
	execAs := func(c routeCase, sql string) routeCase { c.run = exec(sql); return c }
	return []routeCase{
		// Reserved tables, in every position and disguise.
		central("plain", `SELECT count(*) FROM audit_logs`),
		pg(central("ONLY", `SELECT count(*) FROM ONLY audit_logs`)),
		pg(central("EXTRACT before FROM", `SELECT EXTRACT(YEAR FROM now()), count(*) FROM audit_logs`)),
		pg(execAs(central("TRUNCATE", ""), `TRUNCATE audit_logs`)),
		pg(execAs(central("TRUNCATE TABLE", ""), `TRUNCATE TABLE audit_logs`)),
		pg(execAs(central("TRUNCATE ONLY", ""), `TRUNCATE ONLY audit_logs`)),
		central("quoted", `select count(*) from "audit_logs"`),
		pg(central("schema", `SELECT count(*) FROM public.audit_logs`)),
		pg(central("quoted schema", `SELECT count(*) FROM "public"."audit_logs"`)),
		central("alias", `SELECT count(a.id) FROM audit_logs a`),
		central("alias named like a tenant table", `SELECT count(*) FROM audit_logs AS notes`),
		central("two reserved tables", `SELECT count(*) FROM audit_logs AS a JOIN hospitals h ON h.id = a.id`),
		central("CTE", `WITH recent AS (SELECT * FROM audit_logs) SELECT count(*) FROM recent`),
		pg(central("function before the table", `SELECT count(*) FROM generate_series(1,2) g, audit_logs`)),
		pg(central("LATERAL", `SELECT count(*) FROM audit_logs, LATERAL (SELECT 1) x`)),
		central("block comment naming a tenant table", `/* notes */ SELECT count(*) FROM audit_logs`),
		central("line comment naming a tenant table", "-- FROM notes\nSELECT count(*) FROM audit_logs"),
		central("string naming a tenant table", `SELECT 'FROM notes' AS x FROM audit_logs`),
		central("quoted alias naming a tenant table", `SELECT count(*) AS "from notes" FROM audit_logs`),
		execAs(central("INSERT", ""), `INSERT INTO audit_logs (body) VALUES ('from notes')`),
		execAs(central("UPDATE", ""), `UPDATE audit_logs SET body = 'x' WHERE body = 'update notes'`),
		execAs(central("DELETE", ""), `DELETE FROM audit_logs WHERE body = 'from notes'`),
		pg(central("substring FROM", `SELECT substring(body FROM 1 FOR 3) FROM audit_logs`)),
		pg(central("trim FROM", `SELECT trim(both 'x' FROM body) FROM audit_logs`)),
		pg(central("overlay FROM", `SELECT overlay(body PLACING 'x' FROM 2) FROM audit_logs`)),
		pg(central("position IN", `SELECT position('a' IN body) FROM audit_logs`)),
		pg(central("IS DISTINCT FROM", `SELECT body IS DISTINCT FROM 'notes' FROM audit_logs`)),
		pg(central("E string", `SELECT count(*) FROM audit_logs WHERE body = E'it\' FROM notes'`)),
		pg(central("dollar quote", `SELECT $$ FROM notes $$ FROM audit_logs`)),
		pg(central("tagged dollar quote", `SELECT $q$ FROM notes $q$ FROM audit_logs`)),
		pg(central("nested comment", `/* a /* FROM notes */ still a comment */ SELECT count(*) FROM audit_logs`)),
		central("subquery", `SELECT count(*) FROM audit_logs WHERE id IN (SELECT id FROM hospitals)`),
		central("derived table", `SELECT count(*) FROM (SELECT * FROM audit_logs) s`),
		central("LIKE pattern", `SELECT count(*) FROM audit_logs WHERE body LIKE '%FROM notes%'`),
		pg(central("TABLE statement", `TABLE audit_logs`)),
		pg(dbErr(execAs(central("COPY", ""), `COPY (SELECT * FROM audit_logs) TO STDOUT`))),
		pg(execAs(central("ANALYZE", ""), `ANALYZE audit_logs`)),
		execAs(central("CREATE INDEX", ""), `CREATE INDEX IF NOT EXISTS idx_audit_body ON audit_logs (body)`),
		pg(execAs(central("ALTER TABLE", ""), `ALTER TABLE audit_logs ADD COLUMN IF NOT EXISTS extra text`)),
		pg(execAs(central("DELETE USING", ""), `DELETE FROM audit_logs USING hospitals WHERE audit_logs.id = hospitals.id AND hospitals.id < 0`)),
		{name: "Table AS", run: count(func(db *gorm.DB) *gorm.DB { return db.Table("audit_logs AS a") }), want: toCentral},
		{name: "Table alias", run: count(func(db *gorm.DB) *gorm.DB { return db.Table("audit_logs a") }), want: toCentral},
		{name: "Table schema", pgOnly: true, run: count(func(db *gorm.DB) *gorm.DB { return db.Table("public.audit_logs") }), want: toCentral},
		{name: "Table subquery", run: count(func(db *gorm.DB) *gorm.DB { return db.Table("(?) AS s", db.Model(&AuditLog{})) }), want: toCentral},
		{name: "Raw.Find into a tenant model", run: func(db *gorm.DB) error {
			return db.Raw("SELECT id, body FROM audit_logs").Find(&[]Note{}).Error
		}, want: toCentral},
		{name: "model with subquery on a reserved table", run: count(func(db *gorm.DB) *gorm.DB {
			return db.Model(&AuditLog{}).Where("id IN (SELECT id FROM hospitals)")
		}), want: toCentral},

		// Tenant tables, with reserved names in disguise.
		execAs(tenant("comment naming a reserved table", ""), `/* from audit_logs */ UPDATE notes SET body = body WHERE id < 0`),
		tenant("quoted alias naming a reserved table", `SELECT body AS "from hospitals" FROM notes`),
		tenant("string naming a reserved table", `SELECT count(*) FROM notes WHERE body = 'FROM audit_logs'`),
		tenant("line comment naming a reserved table", "SELECT count(*) FROM notes -- FROM audit_logs"),
		pg(tenant("E string naming a reserved table", `SELECT count(*) FROM notes WHERE body = E'\' FROM audit_logs'`)),
		pg(tenant("dollar quote naming a reserved table", `SELECT $$ FROM audit_logs $$ FROM notes`)),
		tenant("CTE named like a reserved table", `WITH audit_logs AS (SELECT * FROM notes) SELECT count(*) FROM audit_logs`),
		pg(tenant("EXTRACT", `SELECT EXTRACT(YEAR FROM now()) FROM notes`)),
		tenant("join of tenant tables", `SELECT count(*) FROM notes n JOIN tags t ON t.note_id = n.id`),
		tenant("alias named like a reserved table", `SELECT count(*) FROM "notes" AS "audit_logs"`),
		pg(execAs(tenant("TRUNCATE", ""), `TRUNCATE tags`)),
		pg(tenant("ONLY", `SELECT count(*) FROM ONLY notes`)),
		pg(tenant("function and tenant table", `SELECT count(*) FROM notes, generate_series(1,2)`)),
		tenant("no table", `SELECT 1`),
		pg(tenant("no table, a function", `SELECT now()`)),
		{name: "bound values", run: func(db *gorm.DB) error {
			var n int64
			return db.Raw("SELECT count(*) FROM notes WHERE id = ? AND body <> ?", 1, "FROM audit_logs").Scan(&n).Error
		}, want: toTenant},
		{name: "Table beats the model", run: func(db *gorm.DB) error { return db.Table("notes").Find(&[]Hospital{}).Error }, want: toTenant},
		{name: "Raw.Find into a reserved model", run: func(db *gorm.DB) error {
			return db.Raw("SELECT id, body FROM notes").Find(&[]AuditLog{}).Error
		}, want: toTenant},
		{name: "Table AS a reserved name", run: count(func(db *gorm.DB) *gorm.DB { return db.Table("notes AS audit_logs") }), want: toTenant},
		{name: "Table alias a reserved name", run: count(func(db *gorm.DB) *gorm.DB { return db.Table("notes audit_logs") }), want: toTenant},
		{name: "model with subquery on a tenant table", run: count(func(db *gorm.DB) *gorm.DB {
			return db.Model(&Note{}).Where("body IN (SELECT name FROM tags)")
		}), want: toTenant},
		{name: "Joins of a tenant association", run: func(db *gorm.DB) error {
			return db.Model(&Tag{}).Joins("JOIN notes ON notes.id = tags.note_id").Find(&[]Tag{}).Error
		}, want: toTenant},

		// Both: refused, nothing sent.
		cross("join", `SELECT count(*) FROM notes JOIN audit_logs ON true`),
		cross("subquery", `SELECT count(*) FROM notes WHERE id IN (SELECT id FROM audit_logs)`),
		cross("CTE", `WITH a AS (SELECT * FROM audit_logs) SELECT count(*) FROM notes, a`),
		cross("comma list", `SELECT count(*) FROM audit_logs, notes`),
		{name: "INSERT SELECT", run: exec(`INSERT INTO notes (body) SELECT body FROM audit_logs`), err: tenantplugin.ErrCrossDatabase},
		{name: "UPDATE with subquery", run: exec(`UPDATE notes SET body = (SELECT body FROM audit_logs LIMIT 1)`), err: tenantplugin.ErrCrossDatabase},
		{name: "foreign key", run: exec(`CREATE TABLE x (id int REFERENCES audit_logs (id))`), err: tenantplugin.ErrCrossDatabase},
		{name: "two statements", run: exec(`DELETE FROM audit_logs WHERE id < 0; DELETE FROM notes WHERE id < 0`), err: tenantplugin.ErrCrossDatabase},
		{name: "Table list", run: count(func(db *gorm.DB) *gorm.DB { return db.Table("notes, audit_logs") }), err: tenantplugin.ErrCrossDatabase},
		{name: "Where subquery text", run: count(func(db *gorm.DB) *gorm.DB {
			return db.Model(&Note{}).Where("id IN (SELECT id FROM audit_logs)")
		}), err: tenantplugin.ErrCrossDatabase},
		{name: "Where subquery", run: count(func(db *gorm.DB) *gorm.DB {
			return db.Model(&Note{}).Where("id IN (?)", db.Session(&gorm.Session{NewDB: true}).Model(&AuditLog{}).Select("id"))
		}), err: tenantplugin.ErrCrossDatabase},
		{name: "reserved model, tenant subquery", run: count(func(db *gorm.DB) *gorm.DB {
			return db.Model(&Hospital{}).Where("id IN (SELECT id FROM notes)")
		}), err: tenantplugin.ErrCrossDatabase},
		{name: "Joins SQL", run: count(func(db *gorm.DB) *gorm.DB {
			return db.Model(&Note{}).Joins("JOIN audit_logs ON audit_logs.id = notes.id")
		}), err: tenantplugin.ErrCrossDatabase},
		{name: "Joins of a central association", run: func(db *gorm.DB) error {
			return db.Joins("Hospital").Find(&[]Visit{}).Error
		}, err: tenantplugin.ErrCrossDatabase},
		{name: "Select subquery", run: func(db *gorm.DB) error {
			var rows []map[string]any
			return db.Model(&Note{}).Select("id, (SELECT count(*) FROM audit_logs) AS n").Find(&rows).Error
		}, err: tenantplugin.ErrCrossDatabase},
		{name: "Update with an expression", run: func(db *gorm.DB) error {
			return db.Model(&Note{}).Where("id < 0").Update("body", gorm.Expr("(SELECT body FROM audit_logs LIMIT 1)")).Error
		}, err: tenantplugin.ErrCrossDatabase},

		// Unreadable: refused, nothing sent.
		{name: "unterminated string", run: raw(`SELECT 'FROM audit_logs`), err: tenantplugin.ErrUnreadableSQL},
		{name: "unterminated comment", run: raw(`SELECT count(*) FROM notes /* FROM audit_logs`), err: tenantplugin.ErrUnreadableSQL},
		{name: "unterminated identifier", run: raw(`SELECT count(*) FROM "audit_logs`), err: tenantplugin.ErrUnreadableSQL},

		// reserved.Use is explicit: it beats the text.
		{name: "reserved.Use", run: func(db *gorm.DB) error {
			var n int64
			return db.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Raw("SELECT count(*) FROM notes").Scan(&n).Error
		}, want: toCentral, dbErr: true},
	}
}

// TestRawSQLRouting sends every case as a tenant, with the tenant tables
// only in the tenants' databases and the reserved ones only in the
// central database, and again with every table in every database (the
// central database is the application's former single-tenant one, and
// the tenants have tables named like the reserved ones): a statement
// that went to the wrong database succeeds there silently. The
// statement counters tell where each went.
func TestRawSQLRouting(t *testing.T) {
	cases := routeCases()
	if n := len(cases); n < 60 {
		t.Fatalf("%d cases, want at least 60", n)
	}
	for _, layout := range []string{"separate", "same names everywhere"} {
		t.Run(layout, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b fixture.Backend) {
				e := fixture.New(t, b, fixture.Options{Tenants: 2,
					Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &AuditLog{}, &Hospital{})}})
				central := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias))
				if err := central.AutoMigrate(&AuditLog{}, &Hospital{}); err != nil {
					t.Fatal(err)
				}
				for _, id := range e.Tenants {
					if err := e.DB.WithContext(e.Ctx(id)).AutoMigrate(&Note{}, &Tag{}, &Visit{}); err != nil {
						t.Fatal(err)
					}
				}
				if layout != "separate" {
					legacyCentral(t, e)
					for _, id := range e.Tenants {
						// Tables named like the reserved ones, in each
						// tenant's database: created through the tenant's
						// own connection, around the routing.
						own := e.OpenTenantDB(t, id)
						pk := "integer PRIMARY KEY"
						if b == fixture.Postgres {
							pk = "serial PRIMARY KEY"
						}
						for _, ddl := range []string{
							`CREATE TABLE audit_logs (id ` + pk + `, body text)`,
							`CREATE TABLE hospitals (id ` + pk + `, name text)`,
						} {
							if _, err := own.Exec(ddl); err != nil {
								t.Fatal(err)
							}
						}
					}
				}
				tenant := e.Tenants[1]
				for _, c := range cases {
					if c.pgOnly && b != fixture.Postgres {
						continue
					}
					t.Run(c.name, func(t *testing.T) {
						before := snapshot(e)
						err := c.run(e.DB.WithContext(e.Ctx(tenant)))
						after := snapshot(e)
						delta := map[string]int64{}
						for label := range after {
							delta[label] = after[label] - before[label]
						}
						switch {
						case c.err != nil:
							if !errors.Is(err, c.err) {
								t.Errorf("err = %v, want %v", err, c.err)
							}
							for label, d := range delta {
								if d != 0 {
									t.Errorf("%d statements reached %s, want none", d, label)
								}
							}
							return
						case err != nil && !c.dbErr:
							t.Fatalf("err = %v", err)
						}
						want := fixture.Central
						if c.want == toTenant {
							want = tenant
						}
						if delta[want] == 0 {
							t.Errorf("nothing reached %s (%v)", want, delta)
						}
						for label, d := range delta {
							if label != want && d != 0 {
								t.Errorf("%d statements reached %s, want them on %s", d, label, want)
							}
						}
					})
				}
			})
		})
	}
}

// TestNoTextRouting: with Config.NoTextRouting raw SQL goes to the tenant
// whatever it names, and reserved.Use still sends it elsewhere.
func TestNoTextRouting(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1, NoTextRouting: true,
		Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &AuditLog{})}})
	if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).AutoMigrate(&AuditLog{}); err != nil {
		t.Fatal(err)
	}
	id := e.Tenants[0]
	if _, err := e.OpenTenantDB(t, id).Exec(`CREATE TABLE audit_logs (id integer PRIMARY KEY, body text)`); err != nil {
		t.Fatal(err)
	}
	db := e.DB.WithContext(e.Ctx(id))
	for _, c := range []struct {
		run   func() error
		want  string
		dbErr bool // the database may refuse it
	}{
		{func() error { return db.Exec("DELETE FROM audit_logs WHERE id < 0").Error }, id, false},
		{func() error { return db.Exec("DELETE FROM audit_logs /* unterminated").Error }, id, true},
		{func() error {
			return db.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Exec("DELETE FROM audit_logs WHERE id < 0").Error
		}, fixture.Central, false},
		{func() error { return db.Where("id < 0").Delete(&AuditLog{}).Error }, fixture.Central, false},
	} {
		before := snapshot(e)
		err := c.run()
		after := snapshot(e)
		if err != nil && !c.dbErr {
			t.Fatalf("err = %v", err)
		}
		for label := range after {
			if sent := after[label] != before[label]; sent != (label == c.want) {
				t.Errorf("statements to %s: %d, want them on %s only", label, after[label]-before[label], c.want)
			}
		}
	}
}
