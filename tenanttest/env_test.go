package tenanttest_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenanttest"
)

// hospitalEnv is an Env with the example application's models and
// strategy.
func hospitalEnv(t testing.TB, server tenanttest.Option, tenants int, more ...tenanttest.Option) *tenanttest.Env {
	t.Helper()
	return tenanttest.New(t, append([]tenanttest.Option{
		server,
		tenanttest.Tenants(tenants),
		tenanttest.Models(hospital.TenantModels()...),
		tenanttest.Reserved(tenantplugin.DefaultAlias, hospital.CentralModels()...),
		tenanttest.Strategies(hospital.Strategy()),
	}, more...)...)
}

func countRows(t testing.TB, env *tenanttest.Env, id string, model any) int64 {
	t.Helper()
	var n int64
	if err := env.OpenDirect(t, id).Model(model).Count(&n).Error; err != nil {
		t.Fatalf("count in %s: %v", id, err)
	}
	return n
}

// TestRowsLandInTheirTenantsDatabase writes as each tenant and reads
// each database directly: every row is in its own tenant's database,
// the central one in the reserved database, and the counts say which
// database received what.
func TestRowsLandInTheirTenantsDatabase(t *testing.T) {
	eachServer(t, func(t *testing.T, server tenanttest.Option) {
		env := hospitalEnv(t, server, 3)
		if got, want := env.Tenants, []string{"tenant-1", "tenant-2", "tenant-3"}; !slices.Equal(got, want) {
			t.Fatalf("Tenants = %v, want %v", got, want)
		}
		if got := env.Sent(); got.Total() != 0 {
			t.Fatalf("statements counted before any use: %s", got)
		}
		for i, id := range env.Tenants[:2] {
			db := env.DB.WithContext(env.Ctx(id))
			for j := range i + 1 {
				if err := db.Create(&hospital.Patient{Name: id, Email: string(rune('a'+j)) + "@" + id}).Error; err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := env.DB.WithContext(env.Ctx("tenant-3")).Create(&hospital.AuditLog{Tenant: "tenant-3", Action: "x", At: time.Now()}).Error; err != nil {
			t.Fatal(err)
		}
		sent := env.Sent()
		if sent.Tenants["tenant-1"] == 0 || sent.Tenants["tenant-2"] == 0 || sent.Tenants["tenant-3"] != 0 || sent.Reserved[tenantplugin.DefaultAlias] == 0 {
			t.Errorf("counts %s: want statements on tenant-1, tenant-2 and the central database only", sent)
		}
		for id, want := range map[string]int64{"tenant-1": 1, "tenant-2": 2, "tenant-3": 0} {
			if got := countRows(t, env, id, &hospital.Patient{}); got != want {
				t.Errorf("%s holds %d patients, want %d", id, got, want)
			}
			if env.OpenDirect(t, id).Migrator().HasTable(&hospital.AuditLog{}) {
				t.Errorf("%s has the central table", id)
			}
		}
		var logs int64
		if err := env.OpenReserved(t, tenantplugin.DefaultAlias).Model(&hospital.AuditLog{}).Count(&logs).Error; err != nil || logs != 1 {
			t.Errorf("central database holds %d audit logs (%v), want 1", logs, err)
		}
		if env.OpenReserved(t, tenantplugin.DefaultAlias).Migrator().HasTable(&hospital.Patient{}) {
			t.Error("the central database has a tenant table")
		}
		if got := env.Sent(); got.Total() != sent.Total() {
			t.Errorf("direct reads were counted: %s, then %s", sent, got)
		}
	})
}

// TestDatabasesGoWithTheTest shows that every database an Env made
// (tenants', reserved, template) is gone once its test has ended.
func TestDatabasesGoWithTheTest(t *testing.T) {
	eachServer(t, func(t *testing.T, server tenanttest.Option) {
		var made []string
		var pg bool
		t.Run("env", func(t *testing.T) {
			env := hospitalEnv(t, server, 3, tenanttest.Reserved("analytics"))
			var tpl string
			made, tpl = tenanttest.MadeBy(env)
			pg = tenanttest.IsPostgres(env)
			if tpl == "" || !slices.Contains(made, tpl) {
				t.Errorf("template %q not among the databases made, %v", tpl, made)
			}
			// 3 tenants, the template, the central database, analytics.
			if len(made) != 6 {
				t.Errorf("made %d databases, want 6: %v", len(made), made)
			}
			for _, name := range made {
				if !exists(t, pg, name) {
					t.Errorf("database %s does not exist while the test runs", name)
				}
			}
			if pg {
				// A connection to the template would make copying it
				// fail: it refuses them.
				if err := pingPG(t, tpl); err == nil || !strings.Contains(err.Error(), "not currently accepting connections") {
					t.Errorf("connecting to the template: %v, want a refusal", err)
				}
				if err := pingPG(t, made[len(made)-1]); err != nil {
					t.Errorf("connecting to a copy of the template: %v", err)
				}
			}
			if err := env.DB.WithContext(env.Ctx("tenant-1")).Create(&hospital.Patient{Name: "a", Email: "a"}).Error; err != nil {
				t.Fatal(err)
			}
		})
		for _, name := range made {
			if exists(t, pg, name) {
				t.Errorf("database %s left behind", name)
			}
		}
	})
}

// pingPG connects to a database of the PostgreSQL test server.
func pingPG(t *testing.T, name string) error {
	t.Helper()
	db, err := sql.Open("pgx", testenv.DSN(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return db.PingContext(t.Context())
}

// exists reports whether a database (or SQLite file) exists.
func exists(t *testing.T, pg bool, name string) bool {
	t.Helper()
	if !pg {
		_, err := os.Stat(name)
		return err == nil
	}
	var n int
	if err := testenv.Admin(t).QueryRowContext(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// TestReservedAlias places a model on a reserved alias of its own.
func TestReservedAlias(t *testing.T) {
	type Event struct {
		ID   uint
		Name string
	}
	eachServer(t, func(t *testing.T, server tenanttest.Option) {
		env := tenanttest.New(t, server, tenanttest.Tenants(1),
			tenanttest.Reserved("analytics", &Event{}),
			tenanttest.Strategies(reserved.Models("analytics", &Event{})))
		if err := env.DB.Create(&Event{Name: "signup"}).Error; err != nil { // no tenant needed
			t.Fatal(err)
		}
		sent := env.Sent()
		if sent.Reserved["analytics"] == 0 || sent.Total() != sent.Reserved["analytics"] {
			t.Errorf("counts %s: want statements on analytics only", sent)
		}
		var n int64
		if err := env.OpenReserved(t, "analytics").Model(&Event{}).Count(&n).Error; err != nil || n != 1 {
			t.Errorf("analytics holds %d events (%v), want 1", n, err)
		}
	})
}

// TestAddAndRemoveTenant adds a tenant after New (its database has the
// template's tables) and removes it (its statements fail as unknown,
// and send nothing).
func TestAddAndRemoveTenant(t *testing.T) {
	eachServer(t, func(t *testing.T, server tenanttest.Option) {
		env := hospitalEnv(t, server, 0)
		if len(env.Tenants) != 0 || len(env.Resolver.Tenants()) != 0 {
			t.Fatalf("Tenants(0) made tenants: %v, resolver %v", env.Tenants, env.Resolver.Tenants())
		}
		env.AddTenant(t, "late.example.com")
		ctx := env.Ctx("late.example.com")
		if err := env.DB.WithContext(ctx).Create(&hospital.Patient{Name: "Ada", Email: "ada@example.com"}).Error; err != nil {
			t.Fatal(err)
		}
		if got := countRows(t, env, "late.example.com", &hospital.Patient{}); got != 1 {
			t.Errorf("late tenant holds %d patients, want 1", got)
		}
		if _, err := env.Store.Get(ctx, "late.example.com"); err != nil {
			t.Errorf("store: %v", err)
		}

		env.RemoveTenant(t, "late.example.com")
		before := env.Sent()
		err := env.DB.WithContext(ctx).Find(&[]hospital.Patient{}).Error
		if !errors.Is(err, tenant.ErrUnknown) {
			t.Errorf("after RemoveTenant: %v, want tenant.ErrUnknown", err)
		}
		if d := env.Sent().Sub(before); d.Total() != 0 {
			t.Errorf("a removed tenant's statement was sent: %s", d)
		}
		if _, err := env.Store.Get(ctx, "late.example.com"); !errors.Is(err, tenant.ErrUnknown) {
			t.Errorf("store after RemoveTenant: %v, want tenant.ErrUnknown", err)
		}
		if got := countRows(t, env, "late.example.com", &hospital.Patient{}); got != 1 {
			t.Errorf("removed tenant's database holds %d patients, want 1 (kept until the test ends)", got)
		}
	})
}

// TestAddTenantRefusals: an existing or invalid id fails the test and
// changes nothing.
func TestAddTenantRefusals(t *testing.T) {
	env := tenanttest.New(t, tenanttest.Tenants(1))
	for _, id := range []string{"tenant-1", "a/b", ""} {
		f := newFakeTB()
		f.run(func(tb testing.TB) { env.AddTenant(tb, id) })
		if !f.fatal || !strings.Contains(f.output(), "AddTenant") {
			t.Errorf("AddTenant(%q): fatal %t, output %q", id, f.fatal, f.output())
		}
	}
	f := newFakeTB()
	f.run(func(tb testing.TB) { env.RemoveTenant(tb, "nobody") })
	if !f.fatal || !strings.Contains(f.output(), "RemoveTenant") {
		t.Errorf("RemoveTenant(nobody): fatal %t, output %q", f.fatal, f.output())
	}
	if got := env.Resolver.Tenants(); !slices.Equal(got, []string{"tenant-1"}) {
		t.Errorf("tenants after refusals: %v", got)
	}
	for _, open := range []func(testing.TB){
		func(tb testing.TB) { env.OpenDirect(tb, "nobody") },
		func(tb testing.TB) { env.OpenReserved(tb, "nowhere") },
	} {
		f := newFakeTB()
		f.run(open)
		if !f.fatal {
			t.Errorf("opening an unknown database did not fail: %q", f.output())
		}
	}
}

// TestContext: the tenant is in the test's context, which ends with the
// test; As ends its context when fn returns.
func TestContext(t *testing.T) {
	var ctx, asCtx context.Context
	t.Run("inner", func(t *testing.T) {
		ctx = tenanttest.Context(t, "acme")
		if id, ok := tenant.FromContext(ctx); !ok || id != "acme" {
			t.Errorf("Context carries %q, %t", id, ok)
		}
		t.Cleanup(func() {
			if ctx.Err() == nil {
				t.Error("the context is live in the test's cleanup")
			}
		})
		tenanttest.As(t, "globex", func(c context.Context) {
			asCtx = c
			if id, _ := tenant.FromContext(c); id != "globex" {
				t.Errorf("As carries %q", id)
			}
			if c.Err() != nil {
				t.Error("As's context ended early")
			}
		})
		if asCtx.Err() == nil {
			t.Error("As's context is live after fn returned")
		}
		if ctx.Err() != nil {
			t.Error("the test's context ended early")
		}
	})
	if ctx.Err() == nil {
		t.Error("the context is live after the test")
	}
}

// TestEachTenant runs one subtest per tenant, as that tenant.
func TestEachTenant(t *testing.T) {
	env := hospitalEnv(t, tenanttest.SQLite(), 3)
	var ran []string
	env.EachTenant(t, func(t *testing.T, ctx context.Context) {
		id, _ := tenant.FromContext(ctx)
		if id != t.Name()[len(t.Name())-len(id):] {
			t.Errorf("subtest %s runs as %q", t.Name(), id)
		}
		ran = append(ran, id)
		if err := env.DB.WithContext(ctx).Create(&hospital.Hospital{Name: id}).Error; err != nil {
			t.Fatal(err)
		}
	})
	if !slices.Equal(ran, env.Tenants) {
		t.Errorf("ran as %v, want %v", ran, env.Tenants)
	}
	for _, id := range env.Tenants {
		var h hospital.Hospital
		if err := env.OpenDirect(t, id).First(&h).Error; err != nil || h.Name != id {
			t.Errorf("%s holds %+v (%v)", id, h, err)
		}
	}
}
