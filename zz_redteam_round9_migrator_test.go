package tenantplugin_test

import (
	"testing"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// TestRedTeam9MigratorFollowsTable: GORM's migrator works on the
// session's Table() when it has one, not the model's table (its
// RunWithValue: db.Table("deleted_users").AutoMigrate(&User{}) is
// GORM's way to make a table of a model's shape). The plugin ran the
// migration on the database of the model: a tenant table's DDL went
// to the central database without a tenant (dropping the central
// copy of notes), and a central table's DDL to a tenant's database.
// Statements follow Table() ("an explicit Table() beats the model
// type"). Expected: the migration goes where Table()'s table belongs:
// without a tenant, a tenant table's migration is refused, nothing sent.
func TestRedTeam9MigratorFollowsTable(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		a := e.Tenants[0]
		if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Create(&Note{Tenant: a, Body: "r9-central-copy"}).Error; err != nil {
			t.Fatal(err)
		}
		d, err := sent(e, func() error { return e.DB.Table("notes").Migrator().DropTable(&RTClinic{}) })
		wantRefused(t, err, d, tenant.ErrMissing)
		if n := centralCount(t, e, "SELECT count(*) FROM notes"); n != 1 {
			t.Errorf("the central database's notes has %d rows, want 1", n)
		}

		// RenameTable renames its model's own table whatever the
		// session's Table() (GORM does): where the model belongs.
		d, err = sent(e, func() error { return e.DB.Table("notes").Migrator().RenameTable(&RTWard{}, "r9_wards") })
		if err != nil || len(d) != 1 || d[fixture.Central] == 0 {
			t.Errorf("RenameTable of a central model on a session with Table(\"notes\"): err %v, sent %v; want it on the central database", err, d)
		}

		db := e.DB.WithContext(e.Ctx(a))
		d, err = sent(e, func() error { return db.Table("rt_clinics").AutoMigrate(&RTPatient{}) })
		if err != nil || d[a] != 0 {
			t.Errorf("AutoMigrate of Table(\"rt_clinics\") for tenant %s: err %v, sent %v; want it on the central database", a, err, d)
		}
		if tdb := e.OpenTenantDB(t, a); tdb != nil {
			var n int64
			q := "SELECT count(*) FROM sqlite_master WHERE name = 'rt_clinics'"
			if b == fixture.Postgres {
				q = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'rt_clinics'"
			}
			if err := tdb.QueryRow(q).Scan(&n); err != nil || n != 0 {
				t.Errorf("tenant %s's database has a table rt_clinics (%d, err %v)", a, n, err)
			}
		}
	})
}
