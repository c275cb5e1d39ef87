package dbdriver

import (
	"context"
	"database/sql/driver"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Driver opens tenant databases of one kind. Its errors must not quote a
// DSN or a password: they reach logs and callers.
type Driver interface {
	// Name is the driver's name in the resolver's Template.Driver and in
	// tenantconfig.DataSource.Driver.
	Name() string
	// Connector returns a connector for src merged over the template DSN.
	// It checks the settings but does no I/O.
	Connector(templateDSN string, src tenantconfig.DataSource) (driver.Connector, error)
}

// Checker is an optional interface of a Driver. Check refuses what
// Connector refuses and names the databases the connector would reach,
// as its DatabasesConnector (or DatabaseConnector) would, without
// building the connector: the resolver checks each tenant's config when
// it is set, and a boot sets every tenant long before their pools open.
// Without it the resolver builds a connector to check a config.
type Checker interface {
	Check(templateDSN string, src tenantconfig.DataSource) (databases []string, err error)
}

// SessionConnector is an optional interface of the connectors a Driver
// returns, for databases whose server session can outlive the client's
// Close: a PostgreSQL backend runs until its process exits, which pgx
// lets happen in the background after a cancelled query. The resolver's
// connection budget counts a connection until its sessions have ended.
// Connectors without it are counted until Close returns.
type SessionConnector interface {
	driver.Connector
	// ConnectSession is Connect, and calls ended once every server
	// session that this attempt started has ended: a failed attempt's at
	// once or soon, a connection's after it was closed (which the driver
	// may do on its own, before database/sql calls Close). err is nil when
	// the server ended them, or says why that is not known (the wait was
	// given up). ended runs exactly once, on any goroutine, maybe before
	// ConnectSession returns; it must not block.
	ConnectSession(ctx context.Context, ended func(err error)) (driver.Conn, error)
}

// ServerConnector is an optional interface of the connectors a Driver
// returns: Server names the database server the connector reaches
// ("host:port"), so that the resolver can give each server a connection
// budget of its own (the resolver's Config.MaxConnsPerServer). Connectors
// without it, and those that return "", share one budget.
type ServerConnector interface {
	driver.Connector
	Server() string
}

// DatabaseConnector is an optional interface of the connectors a Driver
// returns: Database names the database the connector reaches (its
// server and name, such as "host:5432/shop", or a SQLite file's absolute
// path), so that the resolver can refuse to give one database to two
// tenants. Connectors without it, and those that return "" (a private
// in-memory database), are not compared.
type DatabaseConnector interface {
	driver.Connector
	Database() string
}

// DatabasesConnector is an optional interface of the connectors a
// Driver returns, for a connector that reaches its database at several
// addresses, one after the other (a PostgreSQL DSN with several hosts,
// which hold the same data): Databases names it at each, as Database
// does, and the resolver compares them all instead of Database.
type DatabasesConnector interface {
	driver.Connector
	Databases() []string
}

// UnpreparedConnector is an optional interface of the connectors a
// Driver returns. Unprepared reports that no statement may be kept
// prepared on the connections' server sessions: the database is reached
// through a pooler that hands a server session to other clients between
// transactions (PgBouncer in transaction mode), or the connections speak
// a protocol that prepares nothing, which the application chose for
// that reason. The resolver then keeps no statement cache for the
// database: sessions with PrepareStmt run their statements unprepared,
// as with its StmtCacheSize -1. A driver that wraps another's connectors
// must forward it.
type UnpreparedConnector interface {
	driver.Connector
	Unprepared() bool
}
