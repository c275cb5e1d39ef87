package provision

import "errors"

var (
	// ErrInvalidConfig is returned by New for a Config it cannot use: no
	// Store or Server, a hook without a name, a negative DrainTimeout
	// other than -1. The error names the field.
	ErrInvalidConfig = errors.New("provision: invalid config")

	// ErrInvalidName is returned, before anything is created or changed,
	// for a database name that is not lower-case letters, digits and '_'
	// (starting with a letter or '_'), is longer than [MaxNameLen] bytes,
	// or names one of the server's own databases.
	ErrInvalidName = errors.New("provision: invalid database name")

	// ErrExists is returned by Create, before anything is created, when
	// the store already holds the tenant with another database.
	ErrExists = errors.New("provision: tenant exists with another database")

	// ErrInUse is returned, before anything is created or changed, when
	// the database is published for another tenant: Create will not share
	// it, Delete will not drop it.
	ErrInUse = errors.New("provision: database in use by another tenant")

	// ErrForeign is returned by Delete, before anything is changed, when
	// the tenant's published database is not one the Server provisions
	// (a DSN or another server, set by hand): remove it from the store
	// and drop it by other means.
	ErrForeign = errors.New("provision: the tenant's database is not one this server provisions")

	// ErrNoDatabase is returned by Create when the store holds the tenant
	// with this database but the database does not exist (dropped by
	// other means): delete the tenant, then create it again.
	ErrNoDatabase = errors.New("provision: the published tenant's database does not exist")

	// ErrBusy is returned by Delete when sessions on the tenant's database
	// outlast Config.DrainTimeout. The tenant is unpublished already; its
	// hooks have not run and its database is not dropped: run Delete
	// again once they are gone.
	ErrBusy = errors.New("provision: sessions still connected to the tenant's database")
)
