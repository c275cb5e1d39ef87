package pgdriver

import (
	"database/sql/driver"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tenantrouter/tenantplugin/resolver"
)

// Name is the driver's name in configs.
const Name = "postgres"

// New returns the PostgreSQL driver.
func New() resolver.Driver { return pgDriver{} }

type pgDriver struct{}

func (pgDriver) Name() string { return Name }

// Connector parses cfg.DSN, or the template DSN with cfg's fields set
// over it. Its errors never quote the DSN. The connector is a
// resolver.SessionConnector.
func (pgDriver) Connector(templateDSN string, c resolver.DBConfig) (driver.Connector, error) {
	cc, err := connConfig(templateDSN, c)
	if err != nil {
		return nil, err
	}
	cc.DialFunc = trackSessions(cc.DialFunc)
	return connector{stdlib.GetConnector(*cc)}, nil
}

// connConfig merges c over the template.
func connConfig(templateDSN string, c resolver.DBConfig) (*pgx.ConnConfig, error) {
	dsn := c.DSN
	if dsn == "" {
		dsn = templateDSN
	}
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, parseError(c.DSN != "", err)
	}
	if c.DSN == "" {
		if c.Host != "" {
			cc.Host = c.Host
			cc.Fallbacks = nil
		}
		if c.Port != 0 {
			if c.Port < 0 || c.Port > 65535 {
				return nil, errors.New("pgdriver: port " + strconv.Itoa(c.Port) + " out of range")
			}
			cc.Port = uint16(c.Port)
			for _, f := range cc.Fallbacks {
				f.Port = cc.Port
			}
		}
		if c.Name != "" {
			cc.Database = c.Name
		}
		if c.User != "" {
			cc.User = c.User
		}
		if c.Password != "" {
			cc.Password = c.Password
		}
		for k, v := range c.Params {
			cc.RuntimeParams[k] = v
		}
	}
	return cc, nil
}

// parseError drops pgx's copy of the connection string (which it only
// partly redacts) and keeps the reason.
func parseError(fromTenant bool, err error) error {
	where := "template dsn"
	if fromTenant {
		where = "dsn"
	}
	if inner := errors.Unwrap(err); inner != nil {
		return errors.New("pgdriver: cannot parse " + where + ": " + inner.Error())
	}
	return errors.New("pgdriver: cannot parse " + where)
}
