package resolver

import (
	"context"
	"database/sql/driver"

	"gorm.io/gorm"
)

// Driver opens tenant databases of one kind. Its errors must not quote a
// DSN or a password: they reach logs and callers.
type Driver interface {
	// Name is the driver's name in Template.Driver and DBConfig.Driver.
	Name() string
	// Connector returns a connector for cfg merged over the template DSN.
	// It checks the settings but does no I/O.
	Connector(templateDSN string, cfg DBConfig) (driver.Connector, error)
}

// DialectorDriver is a Driver that can open tenant pools the way a GORM
// dialector opens the application's own pool (protocol, time zone,
// connection hooks). [Resolver.UseDialector] configures the template's
// driver through it; pgdriver and sqlitedriver implement it.
type DialectorDriver interface {
	Driver
	// WithDialector returns a copy of the driver, with the same Name,
	// that opens pools with d's settings; the receiver is unchanged. It
	// returns an error naming d's type when d is for another kind of
	// database or has settings the driver cannot honour.
	//
	// Called on a driver WithDialector returned, it must return an error
	// unless d's settings are the ones that driver was configured with:
	// one resolver serves *gorm.DBs that agree.
	WithDialector(d gorm.Dialector) (DialectorDriver, error)
}

// SessionConnector is an optional interface of the connectors a Driver
// returns, for databases whose server session can outlive the client's
// Close: a PostgreSQL backend runs until its process exits, which pgx
// lets happen in the background after a cancelled query. The connection
// budget counts a connection until its sessions have ended. Connectors
// without it are counted until Close returns.
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
