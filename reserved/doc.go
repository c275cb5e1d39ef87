// Package reserved routes statements to reserved databases: databases
// shared by all tenants, such as a central database of plans, users or
// hospitals, declared in tenantplugin.Config.ReservedPools (the database the
// *gorm.DB was opened with is always there as tenantplugin.DefaultAlias).
//
// # Usage
//
// Strategies decide per statement, in the order given to the plugin; the
// first that decides wins:
//
//	tenantplugin.Config{
//		Resolver: res,
//		Strategies: []tenantplugin.Strategy{
//			reserved.Models("default", &Hospital{}, &Plan{}),
//			reserved.Tables("default", "audit_log"),
//		},
//	}
//
// [Use] overrides every strategy for one session, and works before Begin:
//
//	db.Clauses(reserved.Use("default")).Transaction(func(tx *gorm.DB) error { ... })
//	db.Clauses(reserved.Use("default")).AutoMigrate(&Hospital{})
//
// # Concurrency
//
// Strategies are immutable once built and safe for concurrent use.
//
// # Errors
//
// A route to an alias the plugin does not know fails the statement with
// tenantplugin.ErrUnknownAlias; no SQL is sent.
package reserved
