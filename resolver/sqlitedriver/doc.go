// Package sqlitedriver opens SQLite tenant databases for a resolver, with
// the pure-Go driver github.com/glebarez/go-sqlite (the one
// github.com/glebarez/sqlite uses): no C compiler, nothing to install.
//
// # Usage
//
//	res, err := resolver.New(resolver.Config{
//		Template: resolver.Template{Driver: sqlitedriver.DriverName, DSN: "?_pragma=busy_timeout(5000)"},
//		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
//	})
//	err = res.Set(ctx, "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: "data/acme.db"}})
//
// A tenant's Name is its database file; the template DSN's query
// parameters (pragmas) are appended to it.
//
// Installing the tenantplugin plugin hands the *gorm.DB's dialector to
// the driver's WithDialector method (the driver [New] returns is a
// [resolver.DialectorDriver]). A SQLite dialector has no pool setting to copy and is
// accepted; a dialector for another database, or a glebarez/sqlite
// DriverName other than "sqlite", makes db.Use fail.
package sqlitedriver
