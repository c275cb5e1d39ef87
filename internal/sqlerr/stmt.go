package sqlerr

import (
	"context"
	"database/sql"
	"database/sql/driver"
)

// Stmt returns a *sql.Stmt whose Exec, Query and QueryRow return err and
// send nothing, whatever their arguments and context. database/sql builds
// no such statement itself; this one is prepared on a connection of a
// pool of DB's, closed before Stmt returns (no goroutine is left); the
// connection stays with the statement and holds nothing.
func Stmt(err error) *sql.Stmt {
	db := DB(err)
	defer db.Close()
	ctx := context.Background()
	c, cerr := db.Conn(ctx)
	if cerr != nil {
		panic("sqlerr: Stmt: " + cerr.Error()) // stmtConnector never fails
	}
	st, perr := c.PrepareContext(ctx, "")
	if perr != nil {
		panic("sqlerr: Stmt: " + perr.Error()) // stmtConn never fails to prepare
	}
	return st
}

// DB returns a pool that prepares any statement and answers every
// statement and transaction with err. The caller closes it.
func DB(err error) *sql.DB { return sql.OpenDB(stmtConnector{err}) }

// stmtConnector, stmtConn and stmt are DB's driver.
type stmtConnector struct{ err error }

func (c stmtConnector) Connect(context.Context) (driver.Conn, error) { return stmtConn(c), nil }
func (c stmtConnector) Driver() driver.Driver                        { return stmtDriver(c) }

type stmtDriver struct{ err error }

func (d stmtDriver) Open(string) (driver.Conn, error) { return stmtConn(d), nil }

type stmtConn struct{ err error }

func (c stmtConn) Prepare(string) (driver.Stmt, error) { return stmt(c), nil }
func (c stmtConn) Close() error                        { return nil }
func (c stmtConn) Begin() (driver.Tx, error)           { return nil, c.err }

// CheckNamedValue takes any argument as it is: the statement runs nothing.
func (stmtConn) CheckNamedValue(*driver.NamedValue) error { return nil }

type stmt struct{ err error }

func (stmt) Close() error  { return nil }
func (stmt) NumInput() int { return -1 }
func (s stmt) Exec([]driver.Value) (driver.Result, error) {
	return nil, s.err
}
func (s stmt) Query([]driver.Value) (driver.Rows, error) {
	return nil, s.err
}
func (s stmt) ExecContext(context.Context, []driver.NamedValue) (driver.Result, error) {
	return nil, s.err
}
func (s stmt) QueryContext(context.Context, []driver.NamedValue) (driver.Rows, error) {
	return nil, s.err
}

var (
	_ driver.Connector         = stmtConnector{}
	_ driver.NamedValueChecker = stmtConn{}
	_ driver.StmtExecContext   = stmt{}
	_ driver.StmtQueryContext  = stmt{}
)
