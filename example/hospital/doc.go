// Package hospital holds the models of the example application, a
// hospital service with one database per tenant, shared by the example
// commands (example/cmd/migrate, and the example server and worker).
//
// # Where each model lives
//
// Each tenant's database holds [Hospital] (table hospitals) and
// [Patient] (table patients), as in the Django original: a tenant is a
// hospital group, with its own hospitals and patients.
//
// The central database, the reserved alias "default"
// ([tenantplugin.DefaultAlias], the database the application's *gorm.DB
// was opened with), holds [AuditLog] (table audit_logs): one log for the
// whole service, which names the tenant of each entry. [Strategy]
// returns the strategy that places it there; every other model goes to
// the tenant in the context.
//
// # Usage
//
//	db.Use(tenantplugin.New(tenantplugin.Config{
//		Resolver:   res,
//		Strategies: []tenantplugin.Strategy{hospital.Strategy()},
//	}))
//	report, err := migrate.AutoMigrate(ctx, db, tenants, hospital.Models())
//
// [Hooks] are what the application does on a new tenant's database
// when it is provisioned (package provision), the same for the sign-up
// handler and for tenantctl create.
//
// Table names follow GORM's default naming strategy.
package hospital
