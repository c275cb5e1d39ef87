// Package tenanttest helps test an application that uses tenantplugin:
// it runs test code as a tenant, makes throwaway tenant databases wired
// to a *gorm.DB with the plugin, and asserts that code sends no SQL
// without a tenant.
//
// # Usage
//
// New makes one database per tenant (SQLite files in t.TempDir, or
// databases of a PostgreSQL server) and one per reserved alias,
// registers the tenants in an in-process store (memstore), loads them
// into a resolver and installs the plugin, with the application's
// strategies, on a *gorm.DB. Everything is removed when the test ends.
//
//	func TestAdmit(t *testing.T) {
//		env := tenanttest.New(t,
//			tenanttest.Tenants(3),
//			tenanttest.Models(hospital.TenantModels()...),
//			tenanttest.Reserved(tenantplugin.DefaultAlias, hospital.CentralModels()...),
//			tenanttest.Strategies(hospital.Strategy()),
//		)
//		ctx := env.Ctx("tenant-1")
//		if err := env.DB.WithContext(ctx).Create(&hospital.Patient{Name: "Ada", Email: "ada@example.com"}).Error; err != nil {
//			t.Fatal(err)
//		}
//		var n int64
//		env.OpenDirect(t, "tenant-1").Model(&hospital.Patient{}).Count(&n) // 1: the row is in tenant-1's database
//	}
//
// On PostgreSQL, pass the admin URL of a server your tests may create
// databases on, from wherever your tests keep it:
//
//	url := os.Getenv("TEST_DATABASE_URL")
//	if url == "" {
//		t.Skip("TEST_DATABASE_URL not set")
//	}
//	env := tenanttest.New(t, tenanttest.Postgres(url), tenanttest.Models(...))
//
// [Context] and [As] put a tenant in the test's context (tb.Context), so
// that whatever the test starts as the tenant ends with it;
// [Env.EachTenant] runs a subtest per tenant.
//
// [NoSQLWithoutTenant] runs a function without a tenant and fails the
// test if any statement reached any database, or if the function's
// error does not wrap [tenant.ErrMissing].
//
// # Templates
//
// A fresh tenant's database is a copy of a template database that
// [Models] and [Setup] build: on PostgreSQL with CREATE DATABASE ...
// TEMPLATE, on SQLite by copying the file. Each New builds its template
// (once, whatever the number of tenants) unless TestMain wraps the tests
// with [ShareTemplates], which builds each template once per test
// binary and drops it after the last test:
//
//	func TestMain(m *testing.M) { goleak.VerifyTestMain(tenanttest.ShareTemplates(m)) }
//
// PostgreSQL refuses to copy a database that has a connection: the
// template is built on connections New closes and waits for (until
// their server sessions have ended), then made to refuse connections.
//
// # Counting statements
//
// Every pool of an Env, tenants' and reserved, goes through a
// database/sql driver wrapper that counts the statements, prepares and
// BEGINs each database receives ([Env.Sent]), below GORM and the plugin:
// what the counts say is what reached the database.
//
// # Concurrency
//
// An Env is safe for concurrent use, as the application's *gorm.DB is.
// [NoSQLWithoutTenant] counts every statement sent while it runs: run
// nothing else on the Env meanwhile.
//
// # Errors
//
// The helpers fail the test (Fatal for a set-up that cannot be made,
// Error for an assertion) with messages prefixed "tenanttest: ". An
// admin URL or DSN is never printed.
package tenanttest
