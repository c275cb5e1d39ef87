package sqlitedriver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	_ "github.com/glebarez/go-sqlite" // registers "sqlite"

	"github.com/tenantrouter/tenantplugin/internal/drvwrap"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// DriverName is the driver's name in configs.
const DriverName = "sqlite"

// New returns the SQLite driver.
func New() dbdriver.Driver { return sqliteDriver{} }

type sqliteDriver struct{}

func (sqliteDriver) Name() string { return DriverName }

// Connector uses cfg.DSN, or cfg.Name as the file with the template
// DSN's query parameters (such as _pragma=busy_timeout(5000)) appended.
func (sqliteDriver) Connector(templateDSN string, c tenantconfig.DataSource) (driver.Connector, error) {
	dsn := c.DSN
	if dsn == "" {
		if c.Name == "" {
			return nil, errors.New("sqlitedriver: no dsn and no name (the database file)")
		}
		if c.Host != "" || c.Port != 0 || c.User != "" || c.Password != "" {
			return nil, errors.New("sqlitedriver: host, port, user and password do not apply to SQLite")
		}
		dsn = c.Name
		if _, q, ok := strings.Cut(templateDSN, "?"); ok && q != "" {
			sep := "?"
			if strings.Contains(dsn, "?") {
				sep = "&"
			}
			dsn += sep + q
		}
	}
	return connector{dsn: dsn, drv: sqliteDrv}, nil
}

var sqliteDrv = func() driver.Driver {
	db, err := sql.Open("sqlite", "")
	if err != nil {
		panic(err) // the driver is registered by the import above
	}
	defer db.Close()
	return db.Driver()
}()

type connector struct {
	dsn string
	drv driver.Driver
}

// Connect opens a connection that refuses ATTACH (refuseAttach).
func (c connector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return drvwrap.Wrap(conn, drvwrap.Hooks{Check: refuseAttach}), nil
}
func (c connector) Driver() driver.Driver { return c.drv }

// Database implements dbdriver.DatabaseConnector: the file's absolute
// path; "memory:" and its name for an in-memory database with a shared
// cache, which every connection of the process that names it reaches;
// "" for a private in-memory database, which no other connector reaches.
func (c connector) Database() string { return databaseFile(c.dsn) }
