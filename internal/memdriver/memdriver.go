// Package memdriver is an in-memory database/sql driver that answers
// every query with one row (id 1, name "x") at once. Benchmarks use it to
// measure what GORM and the plugin cost without any I/O.
package memdriver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
)

// Open returns a pool on the in-memory driver.
func Open() *sql.DB { return sql.OpenDB(Connector{}) }

// Connector makes in-memory connections.
type Connector struct{}

// Connect implements driver.Connector.
func (Connector) Connect(context.Context) (driver.Conn, error) { return conn{}, nil }

// Driver implements driver.Connector.
func (Connector) Driver() driver.Driver { return drv{} }

type drv struct{}

func (drv) Open(string) (driver.Conn, error) { return conn{}, nil }

type conn struct{}

func (conn) Prepare(string) (driver.Stmt, error) { return stmt{}, nil }
func (conn) Close() error                        { return nil }
func (conn) Begin() (driver.Tx, error)           { return tx{}, nil }
func (conn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) {
	return tx{}, nil
}
func (conn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return &rows{}, nil
}
func (conn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return driver.RowsAffected(1), nil
}
func (conn) CheckNamedValue(*driver.NamedValue) error { return nil }

type stmt struct{}

func (stmt) Close() error                               { return nil }
func (stmt) NumInput() int                              { return -1 }
func (stmt) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(1), nil }
func (stmt) Query([]driver.Value) (driver.Rows, error)  { return &rows{}, nil }

type tx struct{}

func (tx) Commit() error   { return nil }
func (tx) Rollback() error { return nil }

type rows struct{ done bool }

func (*rows) Columns() []string { return []string{"id", "name"} }
func (*rows) Close() error      { return nil }
func (r *rows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0], dest[1] = int64(1), "x"
	return nil
}
