package tenantsetup

import (
	"fmt"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
)

// template returns the resolver's template and driver for db: its
// dialector's database and DSN, which tenants' settings are merged over.
func template(db *gorm.DB) (resolver.Template, dbdriver.Driver, error) {
	switch d := db.Dialector.(type) {
	case *postgres.Dialector:
		return dsnTemplate(pgdriver.DriverName, d.DSN, d.Conn != nil, pgdriver.New())
	case *sqlite.Dialector:
		return dsnTemplate(sqlitedriver.DriverName, d.DSN, d.Conn != nil, sqlitedriver.New())
	case sqlite.Dialector:
		return dsnTemplate(sqlitedriver.DriverName, d.DSN, d.Conn != nil, sqlitedriver.New())
	}
	return resolver.Template{}, nil, fmt.Errorf("%w: the *gorm.DB's dialector %T is not one of gorm.io/driver/postgres or github.com/glebarez/sqlite: build the resolver yourself (package resolver)", ErrConfig, db.Dialector)
}

// dsnTemplate is the template of a dialector opened with dsn, or an
// error when it was given a connection instead.
func dsnTemplate(driver, dsn string, conn bool, d dbdriver.Driver) (resolver.Template, dbdriver.Driver, error) {
	if conn || dsn == "" {
		return resolver.Template{}, nil, fmt.Errorf("%w: the *gorm.DB was opened on a connection, not a DSN, so tenants have no settings to merge over: open it with a DSN, or build the resolver yourself (package resolver)", ErrConfig)
	}
	return resolver.Template{Driver: driver, DSN: dsn}, d, nil
}
