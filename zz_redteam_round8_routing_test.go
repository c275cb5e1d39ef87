package tenantplugin_test

import (
	"errors"
	"fmt"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
)

// Central models whose TableName names a schema, as
// applications with a schema for shared tables write it.
type (
	R8LedgerSQLite struct {
		ID   uint
		Body string
	}
	R8LedgerPG struct {
		ID   uint
		Body string
	}
)

func (R8LedgerSQLite) TableName() string { return "main.r8_ledgers" }
func (R8LedgerPG) TableName() string     { return "public.r8_ledgers" }

// TestRedTeam8SchemaQualifiedCentralModel: reserved.Models names a
// central model whose table is schema-qualified. Its GORM statements
// must go to the central database, with or without a tenant; its table
// named in raw SQL too.
func TestRedTeam8SchemaQualifiedCentralModel(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		var model any = &R8LedgerSQLite{}
		table := "main.r8_ledgers"
		if b == fixture.Postgres {
			model, table = &R8LedgerPG{}, "public.r8_ledgers"
		}
		newRow := func() any {
			if b == fixture.Postgres {
				return &R8LedgerPG{Body: "x"}
			}
			return &R8LedgerSQLite{Body: "x"}
		}
		e := fixture.New(t, b, fixture.Options{Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, model)}})
		if err := e.DB.AutoMigrate(model); err != nil { // on central, by model type
			t.Fatal(err)
		}
		// The tenant's database has a table of that name too (a copy of
		// the former single-tenant database): a wrong route succeeds.
		tdb := e.OpenTenantDB(t, "t00")
		ddl := "CREATE TABLE r8_ledgers (id integer primary key, body text)"
		if b == fixture.Postgres {
			ddl = "CREATE TABLE r8_ledgers (id serial primary key, body text)"
		}
		if _, err := tdb.Exec(ddl); err != nil {
			t.Fatal(err)
		}
		ctx := e.Ctx("t00")

		d, err := sent(e, func() error { return e.DB.Create(newRow()).Error })
		if err != nil || d[fixture.Central] == 0 {
			t.Errorf("Create without tenant: err %v, sent %v; want it on the central database", err, d)
		}
		d, err = sent(e, func() error { return e.DB.WithContext(ctx).Create(newRow()).Error })
		if err != nil || d["t00"] != 0 || d[fixture.Central] == 0 {
			t.Errorf("Create with tenant t00: err %v, sent %v; want it on the central database only", err, d)
		}
		d, err = sent(e, func() error {
			var n int64
			return e.DB.WithContext(ctx).Model(model).Where("body = ?", "x").Count(&n).Error
		})
		if err != nil || d["t00"] != 0 {
			t.Errorf("Count with tenant t00: err %v, sent %v; want it on the central database only", err, d)
		}
		d, err = sent(e, func() error {
			var n int64
			return e.DB.WithContext(ctx).Raw(fmt.Sprintf("SELECT count(*) FROM %s", table)).Scan(&n).Error
		})
		if err != nil || d["t00"] != 0 {
			t.Errorf("Raw naming %s with tenant t00: err %v, sent %v; want it on the central database only", table, err, d)
		}
		var leaked int64
		if err := tdb.QueryRow("SELECT count(*) FROM r8_ledgers").Scan(&leaked); err != nil {
			t.Fatal(err)
		}
		if leaked != 0 {
			t.Errorf("%d central rows written into tenant t00's database", leaked)
		}
	})
}

// R8Archive is a central model with the columns of the tenant model
// Note (id, tenant, body).
type R8Archive struct {
	ID     uint
	Tenant string
	Body   string
}

// TestRedTeam8InsertTableFormHidesTenantTable: PostgreSQL's
// INSERT INTO t TABLE u (TABLE u is SELECT * FROM u) reads u. A
// statement naming a central table and a tenant table must be refused
// with ErrCrossDatabase, as INSERT INTO t SELECT * FROM u is. The lexer
// does not see u after INSERT INTO t, so the statement is sent to the
// central database, where it reads the central copy of the tenant
// table (a former single-tenant database holds every tenant's rows).
func TestRedTeam8InsertTableFormHidesTenantTable(t *testing.T) {
	if !hasPostgres(t) {
		t.Skip("PostgreSQL only: TABLE is PostgreSQL's")
	}
	e := rtEnv(t, fixture.Postgres, fixture.Options{Strategies: append(rtStrategies(),
		reserved.Models(tenantplugin.DefaultAlias, &R8Archive{}))})
	central := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias))
	if err := central.AutoMigrate(&R8Archive{}); err != nil {
		t.Fatal(err)
	}
	// The central database's copy of the tenant table holds another
	// tenant's row from before the split.
	if err := central.Create(&Note{Tenant: "t01", Body: "t01's secret"}).Error; err != nil {
		t.Fatal(err)
	}
	db := e.DB.WithContext(e.Ctx("t00"))

	// The control: the SELECT form is refused.
	d, err := sent(e, func() error { return db.Exec("INSERT INTO r8_archives SELECT * FROM notes").Error })
	wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)

	for _, q := range []string{
		"INSERT INTO r8_archives TABLE notes",
		"INSERT INTO r8_archives AS a TABLE notes",
		"INSERT INTO r8_archives OVERRIDING SYSTEM VALUE TABLE notes",
		"WITH x AS (SELECT 1) INSERT INTO r8_archives TABLE notes",
	} {
		d, err := sent(e, func() error { return db.Exec(q).Error })
		if !errors.Is(err, tenantplugin.ErrCrossDatabase) || len(d) != 0 {
			t.Errorf("%s with tenant t00: err %v, sent %v; want ErrCrossDatabase, nothing sent", q, err, d)
		}
	}
	if n := centralCount(t, e, "SELECT count(*) FROM r8_archives WHERE body = ?", "t01's secret"); n != 0 {
		t.Errorf("tenant t00's statement copied %d rows of the central copy of notes into the central archive", n)
	}
}

// TestRedTeam8EscapeStringDOBodyRunsOnCentral: a DO block's body is
// read for the tables it names when written '...' or $$...$$, not when
// written E'...'. A text that names a central table and runs such a
// block is sent to the central database whole, where the block reads
// the central copy of a tenant table. The same block written $$...$$ is
// refused (ErrCrossDatabase), as it should be.
func TestRedTeam8EscapeStringDOBodyRunsOnCentral(t *testing.T) {
	if !hasPostgres(t) {
		t.Skip("PostgreSQL only")
	}
	e := rtEnv(t, fixture.Postgres, fixture.Options{Strategies: append(rtStrategies(),
		reserved.Models(tenantplugin.DefaultAlias, &R8Archive{}))})
	central := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias))
	if err := central.AutoMigrate(&R8Archive{}); err != nil {
		t.Fatal(err)
	}
	if err := central.Create(&Note{Tenant: "t01", Body: "t01's secret"}).Error; err != nil {
		t.Fatal(err)
	}
	db := e.DB.WithContext(e.Ctx("t00"))

	d, err := sent(e, func() error {
		return db.Exec(`SELECT 1 FROM r8_archives LIMIT 0; DO $$BEGIN INSERT INTO r8_archives SELECT * FROM notes; END$$`).Error
	})
	wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)

	q := `SELECT 1 FROM r8_archives LIMIT 0; DO E'BEGIN INSERT INTO r8_archives SELECT * FROM notes; END'`
	d, err = sent(e, func() error { return db.Exec(q).Error })
	if !errors.Is(err, tenantplugin.ErrCrossDatabase) || len(d) != 0 {
		t.Errorf("%s with tenant t00: err %v, sent %v; want ErrCrossDatabase, nothing sent", q, err, d)
	}
	if n := centralCount(t, e, "SELECT count(*) FROM r8_archives WHERE body = ?", "t01's secret"); n != 0 {
		t.Errorf("tenant t00's statement copied %d rows of the central copy of notes into the central archive", n)
	}
}

// PgPayment is a tenant model ("PG" for payment gateway): GORM names
// its table pg_payments.
type PgPayment struct {
	ID     uint
	Tenant string
	Body   string
}

// TestRedTeam8PgPrefixedTenantTableTakenForCatalog: a relation whose
// unqualified name starts with pg_ is taken for a system catalog and
// never asked about, but PostgreSQL (and SQLite) let applications name
// their own tables so. A raw statement naming a central table and such a
// tenant table is not refused: it goes to the central database, where it
// reads the central copy of the tenant table. The same statement with
// the tenant table named otherwise is refused with ErrCrossDatabase.
func TestRedTeam8PgPrefixedTenantTableTakenForCatalog(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Strategies: append(rtStrategies(),
			reserved.Models(tenantplugin.DefaultAlias, &R8Archive{}))})
		central := func() *gorm.DB { return e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)) }
		if err := central().AutoMigrate(&R8Archive{}, &PgPayment{}); err != nil {
			t.Fatal(err)
		}
		if err := central().Create(&R8Archive{Tenant: "t00", Body: "x"}).Error; err != nil {
			t.Fatal(err)
		}
		// The central copy of the tenant table, from before the split.
		if err := central().Create(&PgPayment{Tenant: "t01", Body: "t01's card"}).Error; err != nil {
			t.Fatal(err)
		}
		if err := noRelations(e.DB.WithContext(e.Ctx("t00"))).AutoMigrate(&PgPayment{}); err != nil {
			t.Fatal(err)
		}
		db := e.DB.WithContext(e.Ctx("t00"))

		// The control: a tenant table named otherwise is refused.
		d, err := sent(e, func() error {
			var rows []map[string]any
			return db.Raw("SELECT body FROM notes WHERE EXISTS (SELECT 1 FROM r8_archives)").Scan(&rows).Error
		})
		wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)

		var bodies []map[string]any
		d, err = sent(e, func() error {
			return db.Raw("SELECT body FROM pg_payments WHERE EXISTS (SELECT 1 FROM r8_archives)").Scan(&bodies).Error
		})
		if !errors.Is(err, tenantplugin.ErrCrossDatabase) || len(d) != 0 {
			t.Errorf("tenant t00 reading pg_payments with r8_archives: err %v, sent %v, read %v; want ErrCrossDatabase, nothing sent", err, d, bodies)
		}
	})
}
