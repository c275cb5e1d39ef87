package sqlitedriver

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/resolver"
)

// WithDialector accepts the *gorm.DB's SQLite dialector:
// github.com/glebarez/sqlite's (*sqlite.Dialector or sqlite.Dialector),
// or another whose Name is "sqlite". It has no pool setting to copy, so it returns the driver
// itself. A dialector for another database is an error, and so is a
// glebarez/sqlite DriverName other than "sqlite": tenant pools use the
// glebarez/go-sqlite driver.
func (d sqliteDriver) WithDialector(gd gorm.Dialector) (resolver.DialectorDriver, error) {
	var driverName string
	switch v := gd.(type) {
	case *sqlite.Dialector:
		if v == nil {
			return nil, fmt.Errorf("sqlitedriver: nil %T", gd)
		}
		driverName = v.DriverName
		if v.Conn != nil {
			driverName = ""
		}
	case sqlite.Dialector:
		driverName = v.DriverName
		if v.Conn != nil {
			driverName = ""
		}
	case nil:
		return nil, errors.New("sqlitedriver: nil dialector")
	default:
		if v := reflect.ValueOf(gd); v.Kind() == reflect.Pointer && v.IsNil() {
			return nil, fmt.Errorf("sqlitedriver: nil %T", gd)
		}
		if gd.Name() != DriverName {
			return nil, fmt.Errorf("sqlitedriver: dialector %T is for %q, not SQLite: tenant pools would speak SQLite to a *gorm.DB built for another database", gd, gd.Name())
		}
	}
	if driverName != "" && driverName != sqlite.DriverName {
		return nil, fmt.Errorf("sqlitedriver: the *gorm.DB opens its pool with database/sql driver %q, which tenant pools cannot use (they use %q): drop DriverName, or give the resolver a Driver of your own", driverName, sqlite.DriverName)
	}
	return d, nil
}

var _ resolver.DialectorDriver = sqliteDriver{}
