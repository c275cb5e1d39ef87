// Package pgdriver opens PostgreSQL tenant databases for a resolver, with
// pgx (the driver gorm.io/driver/postgres uses).
//
// # Usage
//
//	res, err := resolver.New(resolver.Config{
//		Template: resolver.Template{Driver: pgdriver.Name, DSN: os.Getenv("DATABASE_URL")},
//		Drivers:  []resolver.Driver{pgdriver.New()},
//	})
//
// A tenant's DSN is used as it is; otherwise its host, port, name, user,
// password and params (run-time parameters) replace the template's. With
// a new host, the template's fallback hosts are dropped.
//
// # Errors
//
// Errors never quote the DSN: pgx's own message keeps the connection
// string, so only its reason is kept.
package pgdriver
