// Package dbdriver is the contract between the resolver and the drivers
// that open tenant databases, as database/sql/driver is for database/sql.
// It imports no GORM: a driver implements [Driver], and its connectors
// may implement [SessionConnector].
//
// # Usage
//
// resolver/pgdriver (PostgreSQL, with pgx) and resolver/sqlitedriver
// (pure-Go SQLite) implement it; give them to the resolver:
//
//	res, err := resolver.New(resolver.Config{
//		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: os.Getenv("DATABASE_URL")},
//		Drivers:  []dbdriver.Driver{pgdriver.New()},
//	})
//
// A driver that can also open pools the way a GORM dialector opens the
// application's own implements resolver.DialectorDriver too.
//
// # Concurrency
//
// A Driver is called from many goroutines at once and must be safe for
// concurrent use.
package dbdriver
