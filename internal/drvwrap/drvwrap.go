// Package drvwrap wraps database/sql/driver connections to observe them,
// forwarding every optional interface so the wrapped driver behaves as
// before (argument conversion, sessions, pings).
package drvwrap

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"
)

// Hooks observe a wrapped connector. Nil hooks are skipped.
type Hooks struct {
	// Connect runs before each connection attempt; an error refuses it.
	Connect func(ctx context.Context) error
	// ConnectFailed runs when an attempt allowed by Connect failed.
	ConnectFailed func()
	// Statement runs before every statement, prepare and begin sent on a
	// connection, with the SQL ("BEGIN" for a transaction).
	Statement func(query string)
	// Check runs before every statement and prepare sent on a
	// connection, with the SQL; an error refuses it, and nothing is
	// sent. It runs once per query: it must be cheap.
	Check func(query string) error
	// Closed runs once when a connection closes.
	Closed func()
	// Reuse runs each time database/sql is done with a connection and
	// would keep it (driver.Validator's IsValid): false makes database/sql
	// close it instead. With Reuse set, every wrapped connection is a
	// driver.Validator. It runs once per query: it must be cheap.
	Reuse func() bool
}

// SessionConnector is a connector that tells when the server sessions a
// connection attempt started have ended, which can be after the
// connection's Close returns. dbdriver.SessionConnector documents the
// contract; the method sets are the same.
type SessionConnector interface {
	driver.Connector
	ConnectSession(ctx context.Context, ended func(error)) (driver.Conn, error)
}

// Connector wraps c with h. When c is a SessionConnector, so is the
// wrapper. The wrapper's Unprepared (dbdriver.UnpreparedConnector),
// Server (dbdriver.ServerConnector), Database
// (dbdriver.DatabaseConnector) and Databases (dbdriver.DatabasesConnector)
// are c's.
func Connector(c driver.Connector, h Hooks) driver.Connector {
	if sc, ok := c.(SessionConnector); ok {
		return sessionConnector{connector{c, h}, sc}
	}
	return connector{c, h}
}

// Wrap wraps one connection with h's connection hooks (Statement,
// Check, Closed, Reuse).
func Wrap(conn driver.Conn, h Hooks) driver.Conn {
	c := &Conn{Conn: conn, h: h, statement: h.Statement, reuse: h.Reuse, check: h.Check}
	c.execer, _ = conn.(driver.ExecerContext)
	c.queryer, _ = conn.(driver.QueryerContext)
	c.checker, _ = conn.(driver.NamedValueChecker)
	c.validator, _ = conn.(driver.Validator)
	c.resetter, _ = conn.(driver.SessionResetter)
	return wrap(c)
}

type connector struct {
	driver.Connector
	h Hooks
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	return c.connect(ctx, c.Connector.Connect)
}

func (c connector) connect(ctx context.Context, connect func(context.Context) (driver.Conn, error)) (driver.Conn, error) {
	if c.h.Connect != nil {
		if err := c.h.Connect(ctx); err != nil {
			return nil, err
		}
	}
	conn, err := connect(ctx)
	if err != nil {
		if c.h.ConnectFailed != nil {
			c.h.ConnectFailed()
		}
		return nil, err
	}
	return Wrap(conn, c.h), nil
}

// Unprepared forwards c's dbdriver.UnpreparedConnector; false, which
// means the same as not having the method, for a connector without it.
func (c connector) Unprepared() bool {
	u, ok := c.Connector.(interface{ Unprepared() bool })
	return ok && u.Unprepared()
}

// Server forwards c's dbdriver.ServerConnector; "", which means the same
// as not having the method, for a connector without it.
func (c connector) Server() string {
	if sc, ok := c.Connector.(interface{ Server() string }); ok {
		return sc.Server()
	}
	return ""
}

// Database forwards c's dbdriver.DatabaseConnector; "", which means the
// same as not having the method, for a connector without it.
func (c connector) Database() string {
	if dc, ok := c.Connector.(interface{ Database() string }); ok {
		return dc.Database()
	}
	return ""
}

// Databases forwards c's dbdriver.DatabasesConnector, or its Database
// alone; nil when c names none.
func (c connector) Databases() []string {
	if dc, ok := c.Connector.(interface{ Databases() []string }); ok {
		return dc.Databases()
	}
	if db := c.Database(); db != "" {
		return []string{db}
	}
	return nil
}

type sessionConnector struct {
	connector
	sc SessionConnector
}

// ConnectSession implements SessionConnector.
func (c sessionConnector) ConnectSession(ctx context.Context, ended func(error)) (driver.Conn, error) {
	return c.connect(ctx, func(ctx context.Context) (driver.Conn, error) { return c.sc.ConnectSession(ctx, ended) })
}

// wrap exposes driver.Validator and driver.SessionResetter only when the
// inner connection has them (or, for Validator, a Reuse hook is set), so
// that database/sql does the same work as without the wrapper.
func wrap(c *Conn) driver.Conn {
	v := c.validator != nil || c.reuse != nil
	r := c.resetter != nil
	switch {
	case v && r:
		return connVR{c}
	case v:
		return connV{c}
	case r:
		return connR{c}
	}
	return c
}

type connV struct{ *Conn }

func (c connV) IsValid() bool { return c.valid() }

type connR struct{ *Conn }

func (c connR) ResetSession(ctx context.Context) error {
	return c.resetter.ResetSession(ctx)
}

type connVR struct{ *Conn }

func (c connVR) IsValid() bool { return c.valid() }

func (c connVR) ResetSession(ctx context.Context) error {
	return c.resetter.ResetSession(ctx)
}

// Close closes the inner connector when it can be closed.
func (c connector) Close() error {
	if cl, ok := c.Connector.(interface{ Close() error }); ok {
		return cl.Close()
	}
	return nil
}

// Conn is a wrapped connection, made by Wrap.
type Conn struct {
	// The optional interfaces of Conn, asserted once by Wrap, and the
	// hooks a query runs: what a query reads, in one cache line (64
	// bytes), the commonest first.
	queryer   driver.QueryerContext
	resetter  driver.SessionResetter
	validator driver.Validator
	statement func(query string) // h.Statement
	reuse     func() bool        // h.Reuse

	execer  driver.ExecerContext
	checker driver.NamedValueChecker
	check   func(query string) error // h.Check
	driver.Conn
	h      Hooks
	closed atomic.Bool
}

func (c *Conn) stmt(q string) {
	if c.statement != nil {
		c.statement(q)
	}
}

// valid asks the inner connection, then the Reuse hook.
func (c *Conn) valid() bool {
	if c.validator != nil && !c.validator.IsValid() {
		return false
	}
	return c.reuse == nil || c.reuse()
}

// Close closes the connection and runs the Closed hook once.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	if c.closed.CompareAndSwap(false, true) && c.h.Closed != nil {
		c.h.Closed()
	}
	return err
}

// BeginTx implements driver.ConnBeginTx.
func (c *Conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.stmt("BEGIN")
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // the documented fallback of database/sql
}

// Prepare implements driver.Conn.
func (c *Conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext implements driver.ConnPrepareContext. The statement's
// executions are observed too.
func (c *Conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.stmt(query)
	if c.check != nil {
		if err := c.check(query); err != nil {
			return nil, err
		}
	}
	var st driver.Stmt
	var err error
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
	}
	if err != nil || c.statement == nil {
		return st, err
	}
	return &Stmt{Stmt: st, query: query, c: c}, nil
}

// Stmt is a wrapped prepared statement.
type Stmt struct {
	driver.Stmt
	query string
	c     *Conn
}

// Exec implements driver.Stmt.
func (s *Stmt) Exec(args []driver.Value) (driver.Result, error) {
	s.c.stmt(s.query)
	return s.Stmt.Exec(args) //nolint:staticcheck // forwarding the legacy method
}

// Query implements driver.Stmt.
func (s *Stmt) Query(args []driver.Value) (driver.Rows, error) {
	s.c.stmt(s.query)
	return s.Stmt.Query(args) //nolint:staticcheck // forwarding the legacy method
}

// ExecContext implements driver.StmtExecContext.
func (s *Stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		s.c.stmt(s.query)
		return e.ExecContext(ctx, args)
	}
	vals, err := values(args)
	if err != nil {
		return nil, err
	}
	return s.Exec(vals)
}

// QueryContext implements driver.StmtQueryContext.
func (s *Stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		s.c.stmt(s.query)
		return q.QueryContext(ctx, args)
	}
	vals, err := values(args)
	if err != nil {
		return nil, err
	}
	return s.Query(vals)
}

// CheckNamedValue implements driver.NamedValueChecker.
func (s *Stmt) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return s.c.CheckNamedValue(nv)
}

func values(args []driver.NamedValue) ([]driver.Value, error) {
	vals := make([]driver.Value, len(args))
	for i, a := range args {
		if a.Name != "" {
			return nil, errors.New("drvwrap: driver does not support named parameters")
		}
		vals[i] = a.Value
	}
	return vals, nil
}

// ExecContext implements driver.ExecerContext.
func (c *Conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.execer != nil {
		c.stmt(query)
		if c.check != nil {
			if err := c.check(query); err != nil {
				return nil, err
			}
		}
		return c.execer.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

// QueryContext implements driver.QueryerContext.
func (c *Conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.queryer != nil {
		c.stmt(query)
		if c.check != nil {
			if err := c.check(query); err != nil {
				return nil, err
			}
		}
		return c.queryer.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

// CheckNamedValue implements driver.NamedValueChecker.
func (c *Conn) CheckNamedValue(nv *driver.NamedValue) error {
	if c.checker != nil {
		return c.checker.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// Ping implements driver.Pinger.
func (c *Conn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

var (
	_ driver.ConnBeginTx        = (*Conn)(nil)
	_ driver.ConnPrepareContext = (*Conn)(nil)
	_ driver.ExecerContext      = (*Conn)(nil)
	_ driver.QueryerContext     = (*Conn)(nil)
	_ driver.NamedValueChecker  = (*Conn)(nil)
	_ driver.Pinger             = (*Conn)(nil)
	_ driver.SessionResetter    = connR{}
	_ driver.Validator          = connV{}
	_ driver.SessionResetter    = connVR{}
	_ driver.Validator          = connVR{}
	_ driver.StmtExecContext    = (*Stmt)(nil)
	_ driver.StmtQueryContext   = (*Stmt)(nil)
	_ SessionConnector          = sessionConnector{}
)
