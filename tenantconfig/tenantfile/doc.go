// Package tenantfile reads and validates the tenant config file,
// tenant_config.json: every tenant's databases and caches, per service,
// as the config stores hold them ([tenantconfig.Config]).
//
//	{
//	  "mapping_metadata": { "POSTGRES_URL": "orm_config.gorm.default.dsn" },
//	  "tenant_config": {
//	    "tenant-1.localhost": {
//	      "hospital": {
//	        "orm_config":   { "gorm": { "default": { "driver": "postgres", "dsn": "postgres://..." } } },
//	        "cache_config": { "default": { "url": "redis://127.0.0.1:6379/1" } }
//	      }
//	    }
//	  }
//	}
//
// Under tenant_config, a tenant id maps service names to their config:
// orm_config maps an ORM id and a template alias to a database, either a
// dsn used as it is or fields merged over the template's DSN (host,
// port, name, user, password, params), with an optional driver and an
// optional list of replicas of the same form; cache_config maps a
// template cache alias to {"url": ...}. mapping_metadata maps deployment
// keys to the config path each one sets (see [Deploy]).
//
// # Usage
//
//	data, err := os.ReadFile(tenantfile.FileName)
//	f, err := tenantfile.Parse(data,
//		tenantfile.WithDrivers(pgdriver.DriverName, sqlitedriver.DriverName),
//		tenantfile.WithService(service))
//	tenants := f.Service(service) // tenant id → tenantconfig.Config
//
// For a dry run, [Diff] compares the file with what a store holds, and
// each [Edit] prints without secrets:
//
//	for _, e := range tenantfile.Diff(current, tenants) {
//		fmt.Println(e)
//	}
//
// [Redact] hides the passwords of a config for logs, and [Deploy] sets
// values from the deployment (environment variables, say) at the paths
// mapping_metadata gives them.
//
// [Schema] is the file's JSON Schema, for editors. Parse also checks
// what the schema cannot say: duplicate keys, tenant ids longer than 128
// bytes (the schema counts characters), two deployment keys mapped to
// the same path, cache URLs that do not parse, and the drivers and
// service of the options ([WithDrivers], [WithService]).
//
// # Errors
//
// Parse returns every problem of a file at once, as a [*ValidationError]
// that wraps [ErrInvalid]; each [Problem] has the JSON path of the value
// at fault:
//
//	$.tenant_config["tenant-1.localhost"].hospital.orm_config.gorm.default.driver: unsupported driver "mysql" (allowed: postgres, sqlite)
//
// A file with any problem gives no File: nothing partial. Refused are
// malformed JSON (with its line and column), text that is not UTF-8,
// unknown fields and duplicate keys at any level, values of the wrong
// type, empty strings, invalid tenant ids
// ([tenant.ValidateID]), tenants without services or
// without the service of WithService, cache URLs that are not scheme://..., a
// database with neither a dsn nor any field (it would be the template's
// own database) or with both (the fields would be ignored), ports
// outside 1 to 65535, a version field (the store assigns versions),
// drivers outside those of WithDrivers, and mapping_metadata entries that are
// not config paths.
//
// Messages never quote a DSN, a password or a URL from the file; [Deploy]
// names deployment keys, never their values. A bad option is refused by
// Parse with an error naming it, before the file is read.
//
// # Concurrency
//
// Parse, Diff, Redact and Deploy work on their arguments only and may be
// called concurrently.
package tenantfile
