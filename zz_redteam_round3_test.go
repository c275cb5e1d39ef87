package tenantplugin_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// Third round of attacks tried from outside. Each TestRedTeam3_ test
// shows a way a statement reached the wrong database, or left its
// transaction, and failed before its fix.

// TestRedTeam3_SQLiteInTableName: SQLite reads "expr IN name" (and NOT
// IN, IN schema.name) as "expr IN (SELECT * FROM name)": the right-hand
// side is a table. The lexer takes the name for a column, so a
// statement on a central table that reads a tenant table this way is
// routed by the central table alone, sent to the central database, and
// reads (or, in a DELETE, deletes by) the central database's copy of
// the tenant table, which in a former single-tenant database holds
// every tenant's rows. The check of the SQL on its way out reads it the
// same way and lets it through. Expected: ErrCrossDatabase, nothing
// sent.
func TestRedTeam3_SQLiteInTableName(t *testing.T) {
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 1})
	a := e.Tenants[0]
	db := e.DB.WithContext(e.Ctx(a))
	// A row of another tenant, in the central database's legacy notes.
	if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Create(&Note{ID: 7, Tenant: "t99", Body: "secret"}).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Create(&AuditLog{ID: 1, Body: "x"}).Error; err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"Raw", func() error {
			var n int64
			return db.Raw(`SELECT count(*) FROM audit_logs WHERE (7, 't99', 'secret') IN notes`).Scan(&n).Error
		}},
		{"NOT IN schema.name", func() error {
			var n int64
			return db.Raw(`SELECT count(*) FROM audit_logs WHERE (7, 't99', 'secret') NOT IN main.notes`).Scan(&n).Error
		}},
		{"Where of a central model", func() error {
			var n int64
			return db.Model(&AuditLog{}).Where("(7, 't99', 'secret') IN notes").Count(&n).Error
		}},
		{"Exec DELETE", func() error {
			return db.Exec(`DELETE FROM audit_logs WHERE (id + 6, 't99', 'secret') IN notes`).Error
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := sent(e, c.run)
			wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
		})
	}
	if n := centralCount(t, e, `SELECT count(*) FROM audit_logs`); n != 1 {
		t.Errorf("the central audit_logs lost its row to a DELETE that read the central notes")
	}
}

// TestRedTeam3_PreparedTxDBHandsOutCentral: inside a tenant's
// transaction tx.DB() is refused with ErrBypassedRouting (the bypass
// tests' "DB inside a tenant transaction"), but in a PrepareStmt session
// GORM wraps the transaction in a *gorm.PreparedStmtTX, whose GetDBConn
// asks the session's PreparedStmtDB, which asks the router: tx.DB()
// returns the central *sql.DB, no error. Code in a tenant's transaction
// that takes tx.DB() to run SQL (or to hand it to a library) runs it on
// the central database, outside the transaction. Expected:
// ErrBypassedRouting, as without PrepareStmt.
func TestRedTeam3_PreparedTxDBHandsOutCentral(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		a := e.Tenants[0]
		s := e.DB.Session(&gorm.Session{PrepareStmt: true, Context: e.Ctx(a)})
		err := s.Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&Note{Tenant: a, Body: "in tx"}).Error; err != nil {
				return err
			}
			sqlDB, err := tx.DB()
			if err != nil {
				return err
			}
			// What the application does with it: its statements reach the
			// central database.
			d, err := sent(e, func() error {
				q := `INSERT INTO notes (tenant, body) VALUES (?, 'via tx.DB()')`
				if b == fixture.Postgres {
					q = `INSERT INTO notes (tenant, body) VALUES ($1, 'via tx.DB()')`
				}
				_, err := sqlDB.Exec(q, a)
				return err
			})
			t.Errorf("tx.DB() in a tenant's PrepareStmt transaction returned a *sql.DB (exec err = %v, sent %v)", err, d)
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

// RTOwner is central and belongs to a tenant's patient, with GORM's
// default foreign key constraint (no constraint:- tag).
type RTOwner struct {
	ID          uint
	RTPatientID uint
	RTPatient   RTPatient
}

// TestRedTeam3_MigratorMethodsReachTenantTables: AutoMigrate of a
// central model whose association points at a tenant table is refused
// (GORM would create a foreign key onto the tenant table: "a migration
// reaches a table of another database"). The same model's CreateTable,
// and CreateConstraint of the association, run on a migrator session
// the plugin pins to the central database, where statements are not
// checked: CREATE TABLE rt_owners (... REFERENCES rt_patients) and
// ALTER TABLE ... REFERENCES rt_patients reach the central database and
// tie the central table to the central database's copy of the tenant
// table. Expected: ErrCrossDatabase as for AutoMigrate, nothing sent.
func TestRedTeam3_MigratorMethodsReachTenantTables(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		strategies := append(rtStrategies(), reserved.Models(tenantplugin.DefaultAlias, &RTOwner{}))
		e := rtEnv(t, b, fixture.Options{Tenants: 1, Strategies: strategies})
		m := e.DB.WithContext(e.Ctx(e.Tenants[0])).Migrator()
		d, err := sent(e, func() error { return m.AutoMigrate(&RTOwner{}) })
		wantRefused(t, err, d, tenantplugin.ErrCrossDatabase) // holds
		t.Run("CreateTable", func(t *testing.T) {
			d, err := sent(e, func() error { return m.CreateTable(&RTOwner{}) })
			wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
		})
		t.Run("CreateConstraint", func(t *testing.T) {
			// The table without its constraint, as a migration that adds
			// it later finds it.
			central := noRelations(e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)))
			central.Config.DisableForeignKeyConstraintWhenMigrating = true
			if err := central.Migrator().DropTable(&RTOwner{}); err != nil {
				t.Fatal(err)
			}
			if err := central.Migrator().CreateTable(&RTOwner{}); err != nil {
				t.Fatal(err)
			}
			central.Config.DisableForeignKeyConstraintWhenMigrating = false
			d, err := sent(e, func() error { return m.CreateConstraint(&RTOwner{}, "RTPatient") })
			wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
		})
	})
}

// TestRedTeam3_CarriageReturnEndsLineComment: PostgreSQL ends a "--"
// comment at a carriage return as well as at a line feed (its lexer's
// non_newline is [^\n\r]); the lexer reads the comment on to the next
// line feed. A line comment ended by a bare CR hides the rest of the
// line from the router: here a UNION with notes, sent to the central
// database by audit_logs alone, reads the central database's copy of
// notes (another tenant's row). (SQLite ends the comment at a line feed
// only, as the lexer does.) Expected: ErrCrossDatabase, nothing sent.
func TestRedTeam3_CarriageReturnEndsLineComment(t *testing.T) {
	if !hasPostgres(t) {
		return
	}
	e := rtEnv(t, fixture.Postgres, fixture.Options{Tenants: 1})
	if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Create(&Note{Tenant: "t99", Body: "secret"}).Error; err != nil {
		t.Fatal(err)
	}
	d, err := sent(e, func() error {
		var rows []string
		err := e.DB.WithContext(e.Ctx(e.Tenants[0])).
			Raw("SELECT body FROM audit_logs -- recent entries\rUNION ALL SELECT body FROM notes").Scan(&rows).Error
		if err == nil {
			t.Logf("read %q", rows)
		}
		return err
	})
	wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
}

// TestRedTeam3_KeywordAliasEndsFromList: a FROM item's alias that is a
// keyword the finder acts on (PostgreSQL accepts SET, REVOKE, CONFLICT
// and VALUES as bare aliases; SQLite CONFLICT, DO, FETCH, FOR, GRANT,
// OFFSET, REVOKE and WINDOW) makes the finder stop reading the FROM
// list: the relations after it are not found. A statement that joins a
// central table so aliased with a tenant table is sent to the central
// database, where it reads the central database's copy of the tenant
// table. Expected: ErrCrossDatabase, nothing sent.
func TestRedTeam3_KeywordAliasEndsFromList(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		central := func() *gorm.DB { return e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)) }
		if err := central().Create(&Note{Tenant: "t99", Body: "secret"}).Error; err != nil {
			t.Fatal(err)
		}
		if err := e.DB.Create(&AuditLog{Body: "x"}).Error; err != nil {
			t.Fatal(err)
		}
		words := []string{"conflict", "do", "fetch", "for", "grant", "offset", "revoke", "window"}
		if b == fixture.Postgres {
			words = []string{"set", "revoke", "conflict", "values"}
		}
		var queries []string
		for _, w := range words {
			queries = append(queries, `SELECT notes.body FROM audit_logs `+w+`, notes`)
		}
		queries = append(queries, `SELECT notes.body FROM audit_logs a JOIN audit_logs revoke ON true JOIN notes ON true`)
		for _, q := range queries {
			t.Run(q, func(t *testing.T) {
				d, err := sent(e, func() error {
					var rows []string
					err := e.DB.WithContext(e.Ctx(e.Tenants[0])).Raw(q).Scan(&rows).Error
					if err == nil {
						t.Logf("read %q", rows)
					}
					return err
				})
				wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
			})
		}
		// Writes: the alias of a DML target, or of a subquery's FROM item.
		execs := []string{
			`INSERT INTO audit_logs AS revoke (body) SELECT body FROM notes`,
			`DELETE FROM audit_logs WHERE EXISTS (SELECT 1 FROM (SELECT 1) AS ` + words[0] + `, notes WHERE notes.body = audit_logs.body)`,
		}
		if b == fixture.Postgres {
			execs = append(execs,
				`UPDATE audit_logs revoke SET body = notes.body FROM notes WHERE revoke.id < 0`,
				`DELETE FROM audit_logs revoke USING notes WHERE revoke.id < 0`)
		}
		for _, q := range execs {
			t.Run(q, func(t *testing.T) {
				d, err := sent(e, func() error { return e.DB.WithContext(e.Ctx(e.Tenants[0])).Exec(q).Error })
				wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
			})
		}
		// GORM's Table(), read as a FROM list, and the SQL GORM builds
		// from it: the same.
		t.Run("Table", func(t *testing.T) {
			d, err := sent(e, func() error {
				var bodies []string
				return e.DB.WithContext(e.Ctx(e.Tenants[0])).Table("audit_logs "+words[0]+", notes").Pluck("notes.body", &bodies).Error
			})
			wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
		})
	})
}

// TestRedTeam3_GrantRevokeLabelEndsReading: a column label (or a CTE
// name) GRANT or REVOKE, which both databases accept (SELECT amount AS
// grant), makes the finder take the rest of the text for a GRANT or
// REVOKE statement, whose FROM is no FROM clause: the relations after
// it are not found. A UNION or an INSERT ... SELECT from a central table
// into which a tenant table is read after such a label goes to the
// central database and reads (or copies) the central database's copy of
// the tenant table. Expected: ErrCrossDatabase, nothing sent.
func TestRedTeam3_GrantRevokeLabelEndsReading(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Create(&Note{Tenant: "t99", Body: "secret"}).Error; err != nil {
			t.Fatal(err)
		}
		db := e.DB.WithContext(e.Ctx(e.Tenants[0]))
		for _, c := range []struct {
			name string
			run  func() error
		}{
			{"UNION AS grant", func() error {
				var rows []string
				return db.Raw(`SELECT body FROM audit_logs UNION ALL SELECT body AS grant FROM notes`).Scan(&rows).Error
			}},
			{"UNION bare revoke", func() error {
				var rows []string
				return db.Raw(`SELECT body FROM audit_logs UNION ALL SELECT body revoke FROM notes`).Scan(&rows).Error
			}},
			{"INSERT SELECT", func() error {
				return db.Exec(`INSERT INTO audit_logs (body) SELECT body AS revoke FROM notes`).Error
			}},
			{"subquery", func() error {
				var n int64
				return db.Model(&AuditLog{}).Where("id IN (SELECT id AS grant FROM notes)").Count(&n).Error
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				d, err := sent(e, c.run)
				wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
			})
		}
		if n := centralCount(t, e, `SELECT count(*) FROM audit_logs WHERE body = 'secret'`); n != 0 {
			t.Errorf("the central audit_logs holds %d rows copied from the central notes", n)
		}
	})
}

// RTLedger is a central model of the migrator tests.
type RTLedger struct {
	ID   uint
	Body string
}

// TestRedTeam3_MigratorLeavesTenantTransaction: inside a tenant's
// transaction, a statement that routes to the central database is
// refused (the plugin never switches databases inside a transaction).
// tx.Migrator() for a central model does not run its statements in the
// transaction: the migrator wrapper replaces the session's pool (the
// transaction) with the central pool. The DDL reaches the central
// database outside the transaction and stays when the transaction rolls
// back. Expected: ErrCrossDatabase, nothing sent to the central
// database.
func TestRedTeam3_MigratorLeavesTenantTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		strategies := append(rtStrategies(), reserved.Models(tenantplugin.DefaultAlias, &RTLedger{}))
		e := rtEnv(t, b, fixture.Options{Tenants: 1, Strategies: strategies})
		a := e.Tenants[0]
		errRollback := errors.New("roll back")
		var inner error
		d, err := sent(e, func() error {
			return e.DB.WithContext(e.Ctx(a)).Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&Note{Tenant: a, Body: "tx"}).Error; err != nil {
					return err
				}
				inner = tx.Migrator().CreateTable(&RTLedger{})
				return errRollback
			})
		})
		if !errors.Is(err, errRollback) {
			t.Fatal(err)
		}
		if !errors.Is(inner, tenantplugin.ErrCrossDatabase) || d[fixture.Central] != 0 {
			t.Errorf("CreateTable of a central model in tenant %s's transaction: err = %v, sent %v; want ErrCrossDatabase and nothing sent to the central database", a, inner, d)
		}
		if e.DB.Migrator().HasTable(&RTLedger{}) {
			t.Errorf("the central database has the table created in a transaction that rolled back")
		}
	})
}

// TestRedTeam3_SQLiteCentralMigrationRecreatesTable: GORM's SQLite
// migrator changes a column (DropColumn, AlterColumn, constraints) by
// recreating the table in a transaction, through a table named
// "<table>__temp". For a central model the plugin runs the migration on
// a session pinned to the central database, but the transaction's
// statements are routed by their tables again: "audit_logs__temp" is no
// reserved table, and the statement is refused with ErrCrossDatabase,
// whose message tells the user to split it. The same call under
// reserved.Use succeeds. Expected: the migration of a central model
// runs on the central database (only an unclear error; nothing is
// sent elsewhere).
func TestRedTeam3_SQLiteCentralMigrationRecreatesTable(t *testing.T) {
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 1})
	for name, db := range map[string]*gorm.DB{"tenant context": e.DB.WithContext(e.Ctx(e.Tenants[0])), "no tenant": e.DB} {
		t.Run(name, func(t *testing.T) {
			d, err := sent(e, func() error {
				if err := db.Migrator().DropColumn(&AuditLog{}, "body"); err != nil {
					return err
				}
				return db.Migrator().AddColumn(&AuditLog{}, "Body")
			})
			if err != nil || d[e.Tenants[0]] != 0 {
				t.Errorf("DropColumn of a central model: err = %v, sent %v", err, d)
			}
		})
	}
}

// HELD. TestRedTeam3HeldCrossModelPaths: paths between central and
// tenant models that no other test takes, each reaching only the
// database it should, or refused before anything is sent: a central
// subquery given as a map's named argument (Where("... @ids", map)),
// which the router cannot read beforehand and the check of the SQL
// sent refuses; a nested Preload central → tenant → central; an
// association count of a central model's tenant rows, with and
// without a tenant; CreateView of a tenant view over a central table;
// and the migrator's GetTables, with and without a tenant.
func TestRedTeam3HeldCrossModelPaths(t *testing.T) {
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 1})
	a := e.Tenants[0]
	db := e.DB.WithContext(e.Ctx(a))
	p := RTPatient{Tenant: a, Name: "p", RTClinicID: 1}
	if err := db.Create(&p).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Create(&RTClinic{ID: 1, Name: "c"}).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Create(&RTShift{RTPatientID: p.ID}).Error; err != nil {
		t.Fatal(err)
	}
	t.Run("map named subquery", func(t *testing.T) {
		d, err := sent(e, func() error {
			var n int64
			return db.Model(&Note{}).Where("id IN (@ids)", map[string]any{"ids": e.DB.Model(&AuditLog{}).Select("id")}).Count(&n).Error
		})
		wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
	})
	t.Run("nested Preload", func(t *testing.T) {
		var shifts []RTShift
		d, err := sent(e, func() error { return db.Preload("RTPatient.RTClinic").Find(&shifts).Error })
		if err != nil || d[fixture.Central] != 2 || d[a] != 1 || len(d) != 2 {
			t.Fatalf("err = %v, sent %v; want 2 statements on the central database, 1 on %s", err, d, a)
		}
		if len(shifts) != 1 || shifts[0].RTPatient.Tenant != a || shifts[0].RTPatient.RTClinic == nil {
			t.Errorf("preloaded %+v", shifts)
		}
	})
	t.Run("association count", func(t *testing.T) {
		c := RTClinic{ID: 1}
		var n int64
		d, err := sent(e, func() error {
			n = db.Model(&c).Association("Patients").Count()
			return nil
		})
		if err != nil || n != 1 || len(d) != 1 || d[a] != 1 {
			t.Errorf("count = %d, sent %v; want 1 from %s's database", n, d, a)
		}
		d, err = sent(e, func() error {
			assoc := e.DB.Model(&c).Association("Patients")
			assoc.Count()
			return assoc.Error
		})
		wantRefused(t, err, d, tenant.ErrMissing)
	})
	t.Run("CreateView over a central table", func(t *testing.T) {
		d, err := sent(e, func() error {
			return db.Migrator().CreateView("rt_view", gorm.ViewOption{Query: e.DB.Model(&AuditLog{}).Select("id")})
		})
		wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
	})
	t.Run("GetTables", func(t *testing.T) {
		d, err := sent(e, func() error {
			tables, err := db.Migrator().GetTables()
			if err == nil && slices.Contains(tables, "audit_logs") {
				err = fmt.Errorf("tenant %s's tables include audit_logs: %v", a, tables)
			}
			return err
		})
		if err != nil || len(d) != 1 || d[a] == 0 {
			t.Errorf("err = %v, sent %v; want tenant %s's database only", err, d, a)
		}
		d, err = sent(e, func() error { _, err := e.DB.Migrator().GetTables(); return err })
		wantRefused(t, err, d, tenant.ErrMissing)
	})
}

// TestRedTeam3_BoundValueSendsCatalogDataReads: a statement that names only
// relations of the system catalogs goes where the first bound string
// naming a reserved table says (for GORM's migrators' look-ups). But
// some catalog relations hold data: SQLite's sqlite_dbpage virtual
// table (compiled into the driver) returns the database file's raw
// pages, every table's rows included; PostgreSQL's pg_stats view
// returns each column's most common values. A tenant's statement on
// them with a bound value "audit_logs" (a table name a user picked,
// say) is sent to the central database and returns the central
// database's copy of another tenant's notes. Expected: the statement
// runs on the tenant's database (or is refused); a bound value never
// sends a tenant's read of data to the central database.
func TestRedTeam3_BoundValueSendsCatalogDataReads(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		central := func() *gorm.DB { return e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)) }
		for range 5 {
			if err := central().Create(&Note{Tenant: "t99", Body: "secret-of-t99"}).Error; err != nil {
				t.Fatal(err)
			}
		}
		var rows [][]byte
		q := `SELECT data FROM sqlite_dbpage WHERE ? <> ''`
		if b == fixture.Postgres {
			if err := central().Exec(`ANALYZE notes`).Error; err != nil {
				t.Fatal(err)
			}
			q = `SELECT most_common_vals::text::bytea FROM pg_stats WHERE tablename IN (?, 'notes') AND most_common_vals IS NOT NULL`
		}
		d, err := sent(e, func() error {
			return e.DB.WithContext(e.Ctx(e.Tenants[0])).Raw(q, "audit_logs").Scan(&rows).Error
		})
		if d[fixture.Central] != 0 {
			t.Errorf("err = %v, sent %v: a tenant's statement read the central database's data", err, d)
		}
		for _, r := range rows {
			if bytes.Contains(r, []byte("secret-of-t99")) {
				t.Errorf("tenant %s read another tenant's row from the central database", e.Tenants[0])
				break
			}
		}
	})
}

// TestRedTeam3_RouterDirectTransactionUnchecked: code outside GORM's
// callbacks that is handed the *gorm.DB's pool (sqlc-style DBTX: the
// router routes its ExecContext and QueryContext by text and context)
// begins its transactions there too (BeginTx, routed by context). The
// transaction it gets is the plugin's, but unwrapped: its statements
// are checked neither against their context nor against their text,
// as a GORM transaction's are. A statement given another tenant's
// context (a job that reuses a transaction across tenants) is written
// into the first tenant's database and committed; a statement naming a
// central table is sent to the tenant. Expected: ErrCrossDatabase,
// nothing sent, as for the same statements in a GORM transaction.
func TestRedTeam3_RouterDirectTransactionUnchecked(t *testing.T) {
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 2})
	a, bb := e.Tenants[0], e.Tenants[1]
	c, err := e.DB.ConnPool.(gorm.ConnPoolBeginner).BeginTx(e.Ctx(a), nil)
	if err != nil {
		t.Fatal(err)
	}
	tx, ok := c.(gorm.TxCommitter)
	if !ok {
		t.Fatalf("BeginTx returned %T", c)
	}
	t.Run("another tenant's context", func(t *testing.T) {
		d, err := sent(e, func() error {
			_, err := c.ExecContext(e.Ctx(bb), `INSERT INTO notes (tenant, body) VALUES (?, 'b-in-a')`, bb)
			return err
		})
		wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
	})
	t.Run("central table", func(t *testing.T) {
		d, err := sent(e, func() error {
			_, err := c.ExecContext(e.Ctx(a), `INSERT INTO audit_logs (body) SELECT body FROM notes`)
			return err
		})
		wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
	})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := countBody(t, e.DB.WithContext(e.Ctx(a)), "b-in-a"); n != 0 {
		t.Errorf("tenant %s's database holds %d rows written with tenant %s's context", a, n, bb)
	}
}
