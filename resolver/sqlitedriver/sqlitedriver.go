package sqlitedriver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"path/filepath"
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
// path; "" for an in-memory database, which no other connector reaches
// by its DSN alone.
func (c connector) Database() string { return databaseFile(c.dsn) }

// databaseFile returns the absolute path of the file that dsn opens, or
// "" for an in-memory database.
func databaseFile(dsn string) string {
	path, query, _ := strings.Cut(dsn, "?")
	path = strings.TrimPrefix(path, "file:")
	if path == "" || path == ":memory:" || strings.Contains(query, "mode=memory") {
		return ""
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}
