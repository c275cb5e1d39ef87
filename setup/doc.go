// Package tenantsetup makes a single-tenant GORM + chi application
// multi-tenant from configuration, in a few lines of code. It lives in
// the folder setup/ and is named tenantsetup:
//
//	import "github.com/tenantrouter/tenantplugin/setup" // package tenantsetup
//
// # Usage
//
// After gorm.Open, which stays as it is (that database becomes the
// central one, the reserved alias "default"):
//
//	tn, err := tenantsetup.Open(ctx, db) // the tenants of TENANTPLUGIN_TENANTS
//	if err != nil {
//		return err
//	}
//	defer tn.Close()
//	...
//	router.Use(tn.Middleware) // the tenant from the request's host
//
// and, where the application migrated its database at start,
// tn.AutoMigrate(ctx, models...) migrates the central database and every
// tenant's, each model where the strategies place it. Handlers keep
// passing the request's context to GORM: db.WithContext(r.Context()).
//
// # Configuration
//
// Open reads these environment variables ([FromEnv]); a file named
// [EnvFile] (tenantplugin.env) in the working directory can hold them
// too, as KEY=VALUE lines, and the environment wins over it. Settings
// given with [WithSettings] replace both.
//
//   - TENANTPLUGIN_TENANTS (required) says where the tenants are:
//     a Redis URL (redis://HOST:PORT/DB, and the Sentinel and Cluster
//     forms of tenantctl) is the Redis config store, followed live: a
//     tenant added, changed or removed there is served, changed or
//     refused within milliseconds; a path to a tenant config file
//     (tenant_config.json, package tenantfile), read once; or
//     "single:ID", one tenant named ID whose database is the
//     application's own: the application's tests run against it
//     unchanged.
//   - TENANTPLUGIN_SERVICE: the service whose tenants are served
//     (default: the file's only service; required with Redis).
//   - TENANTPLUGIN_RESERVED: what stays on the central database, as
//     ALIAS=NAME,NAME (aliases separated by ";"), each NAME a table
//     (audit_logs) or a model's type name (AuditLog, named by the
//     *gorm.DB's naming strategy): "default=audit_logs,Plan". No query
//     changes. A name whose table the central database does not have
//     once Open is done (migrated) is logged as a warning: misspelt, it
//     reserves nothing.
//   - TENANTPLUGIN_BYPASS: URL path patterns that need no tenant
//     (tenantchi.WithBypassPatterns): "/healthz,/metrics".
//
// Each tenant's database is merged over the *gorm.DB's own DSN (the
// resolver's template): a tenant that names only a database gets the
// application's host, user and settings.
//
// # Errors
//
// Open refuses a missing or malformed setting, an unknown alias or a
// *gorm.DB opened without a DSN with an error wrapping [ErrConfig] that
// names the setting, and leaves db as it was. Everything the packages
// below it refuse stays refused: a statement with no tenant fails and
// sends nothing.
//
// Everything Open builds is reachable on the [Tenancy] (resolver,
// plugin, store) for what this package does not cover; an application
// that outgrows it builds those itself, as the example server does.
package tenantsetup
