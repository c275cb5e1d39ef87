package tenanttest_test

import (
	"context"
	"fmt"
	"testing"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenanttest"
)

// ExampleNew makes three tenants with the example application's models
// and strategy, writes as one of them, and reads each database directly.
// In a test, t is the test's *testing.T.
func ExampleNew() {
	test(func(t testing.TB) {
		env := tenanttest.New(t,
			tenanttest.Tenants(3),
			tenanttest.Models(hospital.TenantModels()...),
			tenanttest.Reserved(tenantplugin.DefaultAlias, hospital.CentralModels()...),
			tenanttest.Strategies(hospital.Strategy()),
		)
		fmt.Println(env.Tenants)

		db := env.DB.WithContext(env.Ctx("tenant-2"))
		if err := db.Create(&hospital.Patient{Name: "Ada", Email: "ada@example.com"}).Error; err != nil {
			t.Fatal(err)
		}
		for _, id := range env.Tenants {
			var n int64
			env.OpenDirect(t, id).Model(&hospital.Patient{}).Count(&n)
			fmt.Printf("%s: %d patients\n", id, n)
		}
		fmt.Println("statements:", env.Sent())
	})
	// Output:
	// [tenant-1 tenant-2 tenant-3]
	// tenant-1: 0 patients
	// tenant-2: 1 patients
	// tenant-3: 0 patients
	// statements: tenant-2=2
}

// ExampleNoSQLWithoutTenant checks that a repository function refuses to
// run without a tenant before anything reaches a database. Had it
// written the audit log (a central table, which needs no tenant) before
// the patient, the test would fail, listing the INSERT.
func ExampleNoSQLWithoutTenant() {
	test(func(t testing.TB) {
		env := tenanttest.New(t,
			tenanttest.Models(hospital.TenantModels()...),
			tenanttest.Reserved(tenantplugin.DefaultAlias, hospital.CentralModels()...),
			tenanttest.Strategies(hospital.Strategy()),
		)
		admit := func(ctx context.Context, p *hospital.Patient) error {
			if err := env.DB.WithContext(ctx).Create(p).Error; err != nil {
				return fmt.Errorf("admit: %w", err)
			}
			return env.DB.WithContext(ctx).Create(&hospital.AuditLog{Action: "admit " + p.Name}).Error
		}
		tenanttest.NoSQLWithoutTenant(t, env, func(ctx context.Context) error {
			return admit(ctx, &hospital.Patient{Name: "Ada", Email: "ada@example.com"})
		})
		fmt.Println("passed:", !t.Failed())
	})
	// Output:
	// passed: true
}

// ExampleContext runs a test's code as a tenant: the context ends with
// the test.
func ExampleContext() {
	test(func(t testing.TB) {
		ctx := tenanttest.Context(t, "acme")
		id, _ := tenant.FromContext(ctx)
		fmt.Println(id)
	})
	// Output:
	// acme
}

// ExampleAs runs a function as a tenant, with a context that ends when
// it returns.
func ExampleAs() {
	test(func(t testing.TB) {
		var seen context.Context
		tenanttest.As(t, "acme", func(ctx context.Context) {
			seen = ctx
			id, _ := tenant.FromContext(ctx)
			fmt.Println("as", id)
		})
		fmt.Println("ended:", seen.Err() != nil)
	})
	// Output:
	// as acme
	// ended: true
}
