package tenantplugin_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
)

// hasTable asks database label directly, around the routing, whether it
// has table.
func hasTable(t *testing.T, e *fixture.Env, label, table string) bool {
	t.Helper()
	var db *sql.DB
	if label == fixture.Central {
		var err error
		if db, err = e.DB.DB(); err != nil {
			t.Fatal(err)
		}
	} else {
		db = e.OpenTenantDB(t, label)
	}
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
	if e.Backend == fixture.Postgres {
		q = "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
	}
	var n int64
	if err := db.QueryRow(q, table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestDDLRoutesLikeAnyStatement: migrations and DDL go where the
// strategies send them, with or without a tenant in the context, when
// every statement of the migration goes to one database.
func TestDDLRoutesLikeAnyStatement(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		t.Run("Always", func(t *testing.T) {
			e := fixture.New(t, b, fixture.Options{Tenants: 1,
				Strategies: []tenantplugin.Strategy{reserved.Always(tenantplugin.DefaultAlias)}})
			if err := e.DB.AutoMigrate(&Plan{}); err != nil {
				t.Fatalf("AutoMigrate without tenant: %v", err)
			}
			if err := e.DB.WithContext(e.Ctx(e.Tenants[0])).AutoMigrate(&Plan{}, &Note{}); err != nil {
				t.Fatalf("AutoMigrate with a tenant: %v", err)
			}
			if err := e.DB.Exec("CREATE TABLE extra (id int)").Error; err != nil {
				t.Fatalf("Exec CREATE TABLE: %v", err)
			}
			for _, table := range []string{"plans", "notes", "extra"} {
				if !hasTable(t, e, fixture.Central, table) {
					t.Errorf("central has no %s", table)
				}
			}
			if e.Counter.Get(e.Tenants[0]) != 0 {
				t.Errorf("%d statements reached the tenant", e.Counter.Get(e.Tenants[0]))
			}
		})
		t.Run("Models", func(t *testing.T) {
			e := fixture.New(t, b, fixture.Options{Tenants: 1,
				Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Plan{})}})
			if err := e.DB.Exec("CREATE TABLE plans (id int, name text)").Error; err != nil {
				t.Fatalf("raw DDL on a reserved table: %v", err)
			}
			if err := e.DB.WithContext(e.Ctx(e.Tenants[0])).Exec("CREATE TABLE notes (id int)").Error; err != nil {
				t.Fatalf("raw DDL on a tenant table: %v", err)
			}
			if !hasTable(t, e, fixture.Central, "plans") || hasTable(t, e, e.Tenants[0], "plans") {
				t.Error("plans is not on the central database alone")
			}
			if !hasTable(t, e, e.Tenants[0], "notes") || hasTable(t, e, fixture.Central, "notes") {
				t.Error("notes is not on the tenant's database alone")
			}
			// A reserved model migrated without reserved.Use, with and
			// without a tenant: the whole migration, look-ups of the
			// current database and schema included, runs on the central
			// database.
			before := e.Counter.Get(e.Tenants[0])
			if err := e.DB.AutoMigrate(&Plan{}); err != nil {
				t.Fatalf("AutoMigrate of a reserved model without a tenant: %v", err)
			}
			if err := e.DB.WithContext(e.Ctx(e.Tenants[0])).AutoMigrate(&Plan{}); err != nil {
				t.Fatalf("AutoMigrate of a reserved model with a tenant: %v", err)
			}
			m := e.DB.WithContext(e.Ctx(e.Tenants[0])).Migrator()
			if !m.HasColumn(&Plan{}, "name") {
				t.Error("HasColumn of a reserved model, asked with a tenant, did not look on the central database")
			}
			if cts, err := m.ColumnTypes(&Plan{}); err != nil || len(cts) != 2 {
				t.Errorf("ColumnTypes of a reserved model: %d columns, %v", len(cts), err)
			}
			if err := m.DropTable(&Plan{}); err != nil {
				t.Fatal(err)
			}
			if m.HasTable("plans") || hasTable(t, e, fixture.Central, "plans") {
				t.Error("DropTable of a reserved model left the central table")
			}
			if err := m.CreateTable(&Plan{}); err != nil || !hasTable(t, e, fixture.Central, "plans") {
				t.Errorf("CreateTable of a reserved model: %v", err)
			}
			if d := e.Counter.Get(e.Tenants[0]) - before; d != 0 {
				t.Errorf("%d statements of the reserved model's migration reached the tenant", d)
			}
			// Models of two databases in one AutoMigrate: refused.
			err := e.DB.WithContext(e.Ctx(e.Tenants[0])).AutoMigrate(&Note{}, &Plan{})
			if !errors.Is(err, tenantplugin.ErrCrossDatabase) || !strings.Contains(err.Error(), "migrate.AutoMigrate") {
				t.Errorf("AutoMigrate of a tenant and a reserved model: %v", err)
			}
		})
	})
}

// TestAutoMigrateWithCentralAssociationSaysWhy: a tenant model whose
// association points at a central model makes GORM migrate the central
// model on the tenant's database. The error says so and names the two
// remedies, which both work.
func TestAutoMigrateWithCentralAssociationSaysWhy(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 1,
			Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Plan{}, &Hospital{})}})
		if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).AutoMigrate(&Plan{}, &Hospital{}); err != nil {
			t.Fatal(err)
		}
		db := e.DB.WithContext(e.Ctx(e.Tenants[0]))
		before := e.Counter.Get(fixture.Central)
		err := db.AutoMigrate(&Order{})
		if !errors.Is(err, tenantplugin.ErrCrossDatabase) {
			t.Fatalf("err = %v, want ErrCrossDatabase", err)
		}
		for _, want := range []string{"associations", "migrate.AutoMigrate", "constraint:-", `"plans"`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %s", err, want)
			}
		}
		if strings.Contains(err.Error(), "transaction") {
			t.Errorf("error %q speaks of a transaction the user did not open", err)
		}
		if d := e.Counter.Get(fixture.Central) - before; d != 0 {
			t.Errorf("%d statements reached the central database", d)
		}
		// The tag remedy: Visit's Hospital is constraint:-.
		if err := db.AutoMigrate(&Visit{}); err != nil {
			t.Fatal(err)
		}
		if hasTable(t, e, e.Tenants[0], "hospitals") || hasTable(t, e, e.Tenants[0], "plans") {
			t.Fatal("a central table was created on the tenant's database")
		}
	})
}
