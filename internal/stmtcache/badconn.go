package stmtcache

import "database/sql/driver"

var driverErrBadConn = driver.ErrBadConn
