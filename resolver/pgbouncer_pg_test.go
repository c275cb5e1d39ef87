package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// bouncerItem is the table the PgBouncer tests write.
type bouncerItem struct {
	ID     uint
	Tenant string
	N      int
}

// bouncerApp is an application whose tenants are reached through the
// test PgBouncer (transaction pool mode, two server connections per
// database): app is the *gorm.DB with the plugin, opened on a central
// database directly with appCfg.
type bouncerApp struct {
	app *gorm.DB
	r   *resolver.Resolver
	dbs []string // the tenants' databases; tenant i is "t<i>"
}

// newBouncerApp opens the application with appCfg (its DSN is set here)
// and a resolver whose template is the bouncer's URL with tmplParams.
func newBouncerApp(t *testing.T, appCfg postgres.Config, tmplParams string, tenants int) *bouncerApp {
	t.Helper()
	dbs := testenv.Databases(t, tenants+1)
	appCfg.DSN = testenv.DSN(t, dbs[0])
	app := openGorm(t, postgres.New(appCfg))
	tmpl := testenv.PgBouncer(t)
	if tmplParams != "" {
		tmpl += "&" + tmplParams
	}
	r := newResolver(t, resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: tmpl},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
	})
	if err := app.Use(tenantplugin.New(tenantplugin.Config{Resolver: r, Logger: fixture.Quiet()})); err != nil {
		t.Fatal(err)
	}
	return &bouncerApp{app: app, r: r, dbs: dbs[1:]}
}

// migrate creates the table in every tenant's database, directly.
func (b *bouncerApp) migrate(t *testing.T) {
	t.Helper()
	for _, name := range b.dbs {
		db := openGorm(t, postgres.Open(testenv.DSN(t, name)))
		if err := db.AutoMigrate(&bouncerItem{}); err != nil {
			t.Fatal(err)
		}
	}
}

// work runs workers goroutines per tenant, each writing and reading its
// tenant's rows n times through sessions of the plugin (with PrepareStmt
// when prepared), in and out of transactions, and returns the distinct
// errors seen (at most a few of each).
func (b *bouncerApp) work(t *testing.T, prepared bool, workers, n int) []error {
	t.Helper()
	var (
		mu   sync.Mutex
		errs []error
		seen = map[string]bool{}
		wg   sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if msg := err.Error(); !seen[msg] && len(errs) < 5 {
			seen[msg] = true
			errs = append(errs, err)
		}
	}
	for i := range b.dbs {
		id := fmt.Sprintf("t%d", i)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// A deadline turns a wait for a server connection that
				// never comes into an error.
				ctx, cancel := context.WithTimeout(tenant.NewContext(context.Background(), id), 30*time.Second)
				defer cancel()
				db := b.app.Session(&gorm.Session{PrepareStmt: prepared, Context: ctx})
				for k := range n {
					it := bouncerItem{Tenant: id, N: w*n + k}
					if err := db.Create(&it).Error; err != nil {
						fail(fmt.Errorf("create: %w", err))
						continue
					}
					var got bouncerItem
					if err := db.First(&got, it.ID).Error; err != nil {
						fail(fmt.Errorf("first: %w", err))
					} else if got.Tenant != id {
						fail(fmt.Errorf("tenant %s read a row of %s", id, got.Tenant))
					}
					err := db.Transaction(func(tx *gorm.DB) error {
						if err := tx.Model(&bouncerItem{}).Where("id = ?", it.ID).Update("n", it.N+1).Error; err != nil {
							return err
						}
						var c int64
						return tx.Model(&bouncerItem{}).Where("tenant = ?", id).Count(&c).Error
					})
					if err != nil {
						fail(fmt.Errorf("transaction: %w", err))
					}
				}
			}()
		}
	}
	wg.Wait()
	return errs
}

// setTenants registers tenant i on database i with ds(name).
func (b *bouncerApp) setTenants(t *testing.T, ds func(name string) tenantconfig.DataSource) error {
	t.Helper()
	for i, name := range b.dbs {
		if err := b.r.Set(context.Background(), fmt.Sprintf("t%d", i), tenantconfig.Database{DataSource: ds(name)}); err != nil {
			return err
		}
	}
	return nil
}

// TestPrepareStmtThroughPgBouncer: an application that declares its
// tenants go through PgBouncer in transaction mode, the way the README
// says (PreferSimpleProtocol, or a pgx exec mode in the DSN that keeps
// nothing prepared), runs sessions with PrepareStmt and without, in and
// out of transactions, many clients sharing two server connections per
// database, without an error.
func TestPrepareStmtThroughPgBouncer(t *testing.T) {
	tests := []struct {
		name       string
		cfg        postgres.Config
		tmplParams string
		ds         func(t *testing.T, name string) tenantconfig.DataSource
	}{
		{name: "PreferSimpleProtocol", cfg: postgres.Config{PreferSimpleProtocol: true},
			ds: func(_ *testing.T, name string) tenantconfig.DataSource { return tenantconfig.DataSource{Name: name} }},
		{name: "PreferSimpleProtocol, tenant dsn", cfg: postgres.Config{PreferSimpleProtocol: true},
			ds: func(t *testing.T, name string) tenantconfig.DataSource {
				return tenantconfig.DataSource{DSN: testenv.BouncerDSN(t, name)}
			}},
		{name: "simple_protocol in the template", tmplParams: "default_query_exec_mode=simple_protocol",
			ds: func(_ *testing.T, name string) tenantconfig.DataSource { return tenantconfig.DataSource{Name: name} }},
		{name: "exec in the tenant's dsn",
			ds: func(t *testing.T, name string) tenantconfig.DataSource {
				return tenantconfig.DataSource{DSN: testenv.BouncerDSN(t, name) + "&default_query_exec_mode=exec"}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBouncerApp(t, tt.cfg, tt.tmplParams, 2)
			b.migrate(t)
			if err := b.setTenants(t, func(name string) tenantconfig.DataSource { return tt.ds(t, name) }); err != nil {
				t.Fatal(err)
			}
			for _, prepared := range []bool{false, true} {
				if errs := b.work(t, prepared, 4, 15); len(errs) > 0 {
					t.Errorf("PrepareStmt %v: %d kinds of error, such as:\n%v", prepared, len(errs), errors.Join(errs...))
				}
			}
		})
	}
}

// TestPgBouncerDeclaredNeedsUnpreparedProtocol: a tenant whose DSN (or
// params, or the template's DSN) says pgbouncer=transaction while its
// connections would keep prepared statements on the server (pgx's
// default cache_statement, or describe_exec, which prepares in one round
// trip and executes in the next) is refused by Set with an error naming
// the remedy; nothing is registered. The same tenants with the simple or
// exec protocol are accepted and work.
func TestPgBouncerDeclaredNeedsUnpreparedProtocol(t *testing.T) {
	refused := []struct {
		name       string
		cfg        postgres.Config
		tmplParams string
		ds         func(t *testing.T, name string) tenantconfig.DataSource
	}{
		{name: "tenant dsn",
			ds: func(t *testing.T, name string) tenantconfig.DataSource {
				return tenantconfig.DataSource{DSN: testenv.BouncerDSN(t, name) + "&pgbouncer=transaction"}
			}},
		{name: "tenant params", ds: func(_ *testing.T, name string) tenantconfig.DataSource {
			return tenantconfig.DataSource{Name: name, Params: map[string]string{"pgbouncer": "transaction"}}
		}},
		{name: "template dsn", tmplParams: "pgbouncer=transaction",
			ds: func(_ *testing.T, name string) tenantconfig.DataSource { return tenantconfig.DataSource{Name: name} }},
		{name: "describe_exec", tmplParams: "pgbouncer=transaction&default_query_exec_mode=describe_exec",
			ds: func(_ *testing.T, name string) tenantconfig.DataSource { return tenantconfig.DataSource{Name: name} }},
		{name: "dialector from a pool", cfg: postgres.Config{PreferSimpleProtocol: true, DriverName: "pgx"},
			ds: func(t *testing.T, name string) tenantconfig.DataSource {
				return tenantconfig.DataSource{DSN: testenv.BouncerDSN(t, name) + "&pgbouncer=transaction"}
			}},
	}
	for _, tt := range refused {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			b := newBouncerApp(t, tt.cfg, tt.tmplParams, 1)
			b.migrate(t)
			err := b.setTenants(t, func(name string) tenantconfig.DataSource { return tt.ds(t, name) })
			if err == nil {
				errs := b.work(t, false, 4, 15)
				t.Fatalf("Set accepted the tenant; then %d kinds of error, such as:\n%v", len(errs), errors.Join(errs...))
			}
			if !errors.Is(err, resolver.ErrInvalidConfig) || !errors.Is(err, pgdriver.ErrPreparedThroughPooler) {
				t.Fatalf("Set: %v, want ErrInvalidConfig and pgdriver.ErrPreparedThroughPooler", err)
			}
			for _, want := range []string{"PreferSimpleProtocol", "default_query_exec_mode=simple_protocol"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Set: %v: does not name the remedy %q", err, want)
				}
			}
			if b.r.Has("t0") {
				t.Error("the refused tenant is registered")
			}
		})
	}
	accepted := []struct {
		name       string
		cfg        postgres.Config
		tmplParams string
		ds         func(t *testing.T, name string) tenantconfig.DataSource
	}{
		{name: "PreferSimpleProtocol", cfg: postgres.Config{PreferSimpleProtocol: true}, tmplParams: "pgbouncer=transaction",
			ds: func(_ *testing.T, name string) tenantconfig.DataSource { return tenantconfig.DataSource{Name: name} }},
		{name: "tenant params", ds: func(_ *testing.T, name string) tenantconfig.DataSource {
			return tenantconfig.DataSource{Name: name, Params: map[string]string{"pgbouncer": "transaction", "default_query_exec_mode": "simple_protocol"}}
		}},
		{name: "tenant dsn, exec",
			ds: func(t *testing.T, name string) tenantconfig.DataSource {
				return tenantconfig.DataSource{DSN: testenv.BouncerDSN(t, name) + "&pgbouncer=transaction&default_query_exec_mode=exec"}
			}},
		{name: "tenant dsn, cache_describe",
			ds: func(t *testing.T, name string) tenantconfig.DataSource {
				return tenantconfig.DataSource{DSN: testenv.BouncerDSN(t, name) + "&pgbouncer=transaction&default_query_exec_mode=cache_describe"}
			}},
		{name: "session mode", ds: func(_ *testing.T, name string) tenantconfig.DataSource {
			// Session pooling keeps a client on one server connection:
			// nothing to refuse (the test bouncer is in transaction
			// mode, so only Set is checked).
			return tenantconfig.DataSource{Name: name, Params: map[string]string{"pgbouncer": "session"}}
		}},
	}
	for _, tt := range accepted {
		t.Run("accepted/"+tt.name, func(t *testing.T) {
			b := newBouncerApp(t, tt.cfg, tt.tmplParams, 1)
			b.migrate(t)
			if err := b.setTenants(t, func(name string) tenantconfig.DataSource { return tt.ds(t, name) }); err != nil {
				t.Fatal(err)
			}
			if tt.name == "session mode" {
				return
			}
			for _, prepared := range []bool{false, true} {
				if errs := b.work(t, prepared, 4, 15); len(errs) > 0 {
					t.Errorf("PrepareStmt %v: %d kinds of error, such as:\n%v", prepared, len(errs), errors.Join(errs...))
				}
			}
		})
	}
	// Why the refusal: undeclared, pgx's default mode through the
	// bouncer loses its statements.
	t.Run("undeclared cache_statement fails", func(t *testing.T) {
		b := newBouncerApp(t, postgres.Config{}, "", 1)
		b.migrate(t)
		if err := b.setTenants(t, func(name string) tenantconfig.DataSource { return tenantconfig.DataSource{Name: name} }); err != nil {
			t.Fatal(err)
		}
		errs := errors.Join(b.work(t, false, 4, 15)...)
		if errs == nil || !strings.Contains(errs.Error(), "prepared statement") {
			t.Fatalf("pgx's statement cache through the bouncer: %v, want prepared statements lost: the premise of the refusal is wrong", errs)
		}
		t.Logf("as expected: %v", errs)
	})
	t.Run("bad value", func(t *testing.T) {
		b := newBouncerApp(t, postgres.Config{PreferSimpleProtocol: true}, "", 1)
		err := b.setTenants(t, func(name string) tenantconfig.DataSource {
			return tenantconfig.DataSource{Name: name, Params: map[string]string{"pgbouncer": "yes"}}
		})
		if !errors.Is(err, resolver.ErrInvalidConfig) || !strings.Contains(err.Error(), "pgbouncer") {
			t.Fatalf("Set: %v, want ErrInvalidConfig naming pgbouncer", err)
		}
	})
}
