package provision

import (
	"context"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Server makes and drops tenant databases on one database server:
// [Postgres] (a database per tenant on a PostgreSQL server) or
// [SQLiteDir] (a file per tenant in a directory). Every method takes a
// name that [ValidateName] accepts.
//
// Create and Drop must be idempotent, for a re-run after a crash: an
// existing database is created with success, a missing one dropped with
// success.
type Server interface {
	// Database returns the config to publish for the database name, as
	// an instance's resolver merges it over its template. No I/O.
	Database(name string) tenantconfig.Database
	// NameOf returns the name of a database that Database returned, and
	// false for a config it does not describe (a DSN set by hand,
	// another server).
	NameOf(db tenantconfig.Database) (string, bool)
	// Create creates the database. One that exists already is success.
	Create(ctx context.Context, name string) error
	// Exists reports whether the database exists.
	Exists(ctx context.Context, name string) (bool, error)
	// Drop drops the database. One that does not exist is success.
	Drop(ctx context.Context, name string) error
	// Open opens a *gorm.DB directly on the database, without any
	// plugin, as instances reach it (the published config over the
	// server's template), with cfg (nil: GORM's defaults, silent). The
	// caller closes its *sql.DB.
	Open(ctx context.Context, name string, cfg *gorm.Config) (*gorm.DB, error)
}

// SessionLister is implemented by a Server that can see the sessions
// connected to a database ([Postgres]: pg_stat_activity). Delete waits
// for them to end before its hooks run and the database is dropped.
type SessionLister interface {
	// Sessions returns the sessions connected to the database, other
	// than the lister's own.
	Sessions(ctx context.Context, name string) ([]Session, error)
}

// Session is one session connected to a database.
type Session struct {
	PID         int
	User        string
	Application string // application_name
	State       string // active, idle, idle in transaction, ...
}

// Locker is implemented by a Server that can lock a database name
// across processes ([Postgres]: a session advisory lock, released by the
// server if the process dies). Create and Delete hold it throughout, so
// that two runs for one database never interleave: the second waits,
// then finds the work done.
type Locker interface {
	// Lock waits for the lock of the name (bounded by ctx) and returns
	// the function that releases it.
	Lock(ctx context.Context, name string) (unlock func(), err error)
}
