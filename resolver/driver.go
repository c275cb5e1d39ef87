package resolver

import "database/sql/driver"

// Driver opens tenant databases of one kind. Its errors must not quote a
// DSN or a password: they reach logs and callers.
type Driver interface {
	// Name is the driver's name in Template.Driver and DBConfig.Driver.
	Name() string
	// Connector returns a connector for cfg merged over the template DSN.
	// It checks the settings but does no I/O.
	Connector(templateDSN string, cfg DBConfig) (driver.Connector, error)
}
