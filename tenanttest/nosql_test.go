package tenanttest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenanttest"
)

// TestNoSQLWithoutTenant runs the assertion under a fake testing.TB on
// functions that do and do not refuse without a tenant: it passes only
// when nothing reached any database and the error wraps
// tenant.ErrMissing, and its message says what was sent where.
func TestNoSQLWithoutTenant(t *testing.T) {
	eachServer(t, func(t *testing.T, server tenanttest.Option) {
		env := hospitalEnv(t, server, 2)
		db := env.DB
		tests := []struct {
			name string
			fn   func(ctx context.Context) error
			// want lists what the failure says; none: no failure.
			want []string
		}{
			{
				name: "tenant query refused",
				fn:   func(ctx context.Context) error { return db.WithContext(ctx).Find(&[]hospital.Patient{}).Error },
			},
			{
				name: "transaction refused",
				fn: func(ctx context.Context) error {
					return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
						return tx.Create(&hospital.Patient{Name: "x", Email: "x"}).Error
					})
				},
			},
			{
				name: "wrapped by the application",
				fn: func(ctx context.Context) error {
					return fmt.Errorf("admit: %w", db.WithContext(ctx).Create(&hospital.Patient{Name: "x", Email: "x"}).Error)
				},
			},
			{
				// A central model needs no tenant: its INSERT reaches the
				// central database before the tenant query is refused.
				name: "statement on a reserved route",
				fn: func(ctx context.Context) error {
					if err := db.WithContext(ctx).Create(&hospital.AuditLog{Tenant: "?", Action: "admit", At: time.Now()}).Error; err != nil {
						return err
					}
					return db.WithContext(ctx).Create(&hospital.Patient{Name: "x", Email: "x"}).Error
				},
				want: []string{"statements sent without a tenant", "reserved:default=", "audit_logs"},
			},
			{
				name: "central *sql.DB used directly",
				fn: func(ctx context.Context) error {
					sqlDB, err := db.DB()
					if err != nil {
						return err
					}
					if _, err := sqlDB.ExecContext(ctx, "SELECT 1"); err != nil {
						return err
					}
					return tenant.ErrMissing
				},
				want: []string{"1 statements sent without a tenant (reserved:default=1)", "SELECT 1"},
			},
			{
				// The function picks a tenant of its own: the tenant's
				// database is counted too.
				name: "statement on a tenant's database",
				fn: func(context.Context) error {
					if err := db.WithContext(env.Ctx("tenant-2")).Find(&[]hospital.Patient{}).Error; err != nil {
						return err
					}
					return tenant.ErrMissing
				},
				want: []string{"(tenant-2=1)", "tenant-2: SELECT"},
			},
			{
				name: "no error",
				fn:   func(context.Context) error { return nil },
				want: []string{"returned <nil>; want an error wrapping tenant.ErrMissing"},
			},
			{
				name: "another error",
				fn: func(ctx context.Context) error {
					return db.WithContext(tenant.NewContext(ctx, "nobody")).Find(&[]hospital.Patient{}).Error
				},
				want: []string{"unknown tenant", "want an error wrapping tenant.ErrMissing"},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := newFakeTB()
				f.run(func(tb testing.TB) { tenanttest.NoSQLWithoutTenant(tb, env, tt.fn) })
				out := f.output()
				if f.Failed() != (len(tt.want) > 0) {
					t.Fatalf("failed = %t, want %t; output:\n%s", f.Failed(), len(tt.want) > 0, out)
				}
				if f.fatal {
					t.Errorf("the assertion used Fatal; want Error: %s", out)
				}
				for _, w := range tt.want {
					if !strings.Contains(out, w) {
						t.Errorf("output does not say %q:\n%s", w, out)
					}
				}
			})
		}
	})
}

// TestNoSQLWithoutTenantListsTheFirstStatements: a function that sends
// many statements is reported with the first ones and a count of the
// rest.
func TestNoSQLWithoutTenantListsTheFirstStatements(t *testing.T) {
	env := hospitalEnv(t, tenanttest.SQLite(), 1)
	f := newFakeTB()
	f.run(func(tb testing.TB) {
		tenanttest.NoSQLWithoutTenant(tb, env, func(ctx context.Context) error {
			for i := range 15 {
				if err := env.DB.WithContext(ctx).Exec("SELECT count(*) FROM audit_logs WHERE id > ?", i).Error; err != nil {
					return err
				}
			}
			return tenant.ErrMissing
		})
	})
	out := f.output()
	if !strings.Contains(out, "15 statements") || !strings.Contains(out, "... and 5 more") {
		t.Errorf("output:\n%s", out)
	}
}

// TestNoSQLWithoutTenantRefusesATenantContext: the assertion refuses to
// run when the test's own context carries a tenant, rather than pass for
// the wrong reason.
func TestNoSQLWithoutTenantRefusesATenantContext(t *testing.T) {
	env := tenanttest.New(t, tenanttest.Tenants(1))
	f := &tenantCtxTB{fakeTB: newFakeTB()}
	ran := false
	f.run(func(tb testing.TB) {
		tenanttest.NoSQLWithoutTenant(f, env, func(context.Context) error { ran = true; return tenant.ErrMissing })
	})
	if !f.fatal || ran || !strings.Contains(f.output(), `carries tenant "tenant-1"`) {
		t.Errorf("fatal %t, ran %t, output %q", f.fatal, ran, f.output())
	}
	for _, tt := range []struct {
		env *tenanttest.Env
		fn  func(context.Context) error
	}{{nil, func(context.Context) error { return nil }}, {env, nil}} {
		f := newFakeTB()
		f.run(func(tb testing.TB) { tenanttest.NoSQLWithoutTenant(tb, tt.env, tt.fn) })
		if !f.fatal {
			t.Errorf("nil argument accepted: %q", f.output())
		}
	}
}

// tenantCtxTB is a fake test whose context carries a tenant.
type tenantCtxTB struct{ *fakeTB }

func (f *tenantCtxTB) Context() context.Context {
	return tenant.NewContext(f.fakeTB.Context(), "tenant-1")
}
