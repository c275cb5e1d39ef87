// Package sqlerr builds database/sql values that carry an error.
package sqlerr

import (
	"context"
	"database/sql"
	"database/sql/driver"
)

// Row returns a *sql.Row whose Scan returns err. database/sql offers no
// other way to build one than a pool whose connector fails; that pool is
// closed before Row returns. The context is not used: a cancelled one
// would replace err.
func Row(_ context.Context, err error) *sql.Row {
	db := sql.OpenDB(connector{err})
	defer db.Close()
	return db.QueryRowContext(context.Background(), "")
}

type connector struct{ err error }

func (c connector) Connect(context.Context) (driver.Conn, error) { return nil, c.err }
func (c connector) Driver() driver.Driver                        { return drv(c) }

type drv connector

func (d drv) Open(string) (driver.Conn, error) { return nil, d.err }
