package tenantplugin

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/internal/sqlerr"
)

// A statement is routed before GORM builds its SQL: by its model, its
// Table(), its joins and the SQL fragments and subqueries the plugin can
// read. What it cannot read beforehand (subqueries built by GORM's
// generics API or with scopes, join conditions, clauses and hooks that
// change the statement after it was routed) shows in the SQL that is
// finally sent. With strategies installed, that SQL is checked on the
// way out: each relation it names must belong where the statement runs,
// else it is refused with ErrCrossDatabase and not sent.

// checkSQL checks the SQL a statement sends on a database whose route is
// on, and counts a refusal.
func (p *Plugin) checkSQL(ctx context.Context, on Route, query string) error {
	err := p.readSQL(ctx, on, query)
	if err != nil {
		p.refused(err)
	}
	return err
}

func (p *Plugin) readSQL(ctx context.Context, on Route, query string) error {
	rels, err := p.tables.tables(query, false)
	if err != nil {
		return err
	}
	for _, t := range rels.names {
		route, ok := p.strategies.Route(Statement{Context: ctx, Op: OpRaw, Table: t})
		if !ok {
			route = TenantRoute()
		}
		if route != on {
			return fmt.Errorf("%w: the SQL to send names table %q, which belongs to %s, but the statement runs on %s "+
				"(a subquery, join condition, clause or hook the plugin could not read before GORM built the SQL): split it, or send it with reserved.Use",
				ErrCrossDatabase, t, route, on)
		}
	}
	return nil
}

// checks reports whether statements need their SQL checked.
func (p *Plugin) checks() bool { return len(p.strategies) > 0 && !p.cfg.NoTextRouting }

// checkedPool is a pool whose statements' SQL is checked before it is
// sent. Transactions begun on it are checked too.
type checkedPool struct {
	pool gorm.ConnPool
	p    *Plugin
	on   Route
	read string // the raw SQL the route was decided by, if any
}

// check checks query, unless it is the text the route was decided by:
// every relation of that one was asked about already.
func (c *checkedPool) check(ctx context.Context, query string) error {
	if query == c.read && query != "" {
		return nil
	}
	return c.p.checkSQL(ctx, c.on, query)
}

func (c *checkedPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if err := c.check(ctx, query); err != nil {
		return nil, err
	}
	return c.pool.PrepareContext(ctx, query)
}

func (c *checkedPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := c.check(ctx, query); err != nil {
		return nil, err
	}
	return c.pool.ExecContext(ctx, query, args...)
}

func (c *checkedPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := c.check(ctx, query); err != nil {
		return nil, err
	}
	return c.pool.QueryContext(ctx, query, args...)
}

func (c *checkedPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if err := c.check(ctx, query); err != nil {
		return sqlerr.Row(ctx, err)
	}
	return c.pool.QueryRowContext(ctx, query, args...)
}

// BeginTx begins on the pool (GORM's implicit write transactions begin
// here) and checks the transaction's statements too.
func (c *checkedPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	var pool gorm.ConnPool
	switch b := c.pool.(type) {
	case gorm.ConnPoolBeginner:
		var err error
		if pool, err = b.BeginTx(ctx, opts); err != nil {
			return nil, err
		}
	case gorm.TxBeginner:
		tx, err := b.BeginTx(ctx, opts)
		if err != nil {
			return nil, err
		}
		pool = tx
	default:
		return nil, gorm.ErrInvalidTransaction
	}
	tx, ok := pool.(gorm.Tx)
	if !ok {
		_ = rollbackAny(pool)
		return nil, fmt.Errorf("tenantplugin: %T.BeginTx returned %T, not a gorm.Tx", c.pool, pool)
	}
	return &checkedTx{Tx: tx, p: c.p, on: c.on}, nil
}

// GetDBConn is the pool's, if it has one to give.
func (c *checkedPool) GetDBConn() (*sql.DB, error) { return sqlDBOf(c.pool) }

// checkedTx is a transaction whose statements' SQL is checked before it
// is sent. It is the transaction for GORM (Commit, Rollback, and the
// plugin's txOf see through it).
type checkedTx struct {
	gorm.Tx
	p  *Plugin
	on Route
}

func (c *checkedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := c.p.checkSQL(ctx, c.on, query); err != nil {
		return nil, err
	}
	return c.Tx.ExecContext(ctx, query, args...)
}

func (c *checkedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := c.p.checkSQL(ctx, c.on, query); err != nil {
		return nil, err
	}
	return c.Tx.QueryContext(ctx, query, args...)
}

func (c *checkedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if err := c.p.checkSQL(ctx, c.on, query); err != nil {
		return sqlerr.Row(ctx, err)
	}
	return c.Tx.QueryRowContext(ctx, query, args...)
}

func (c *checkedTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if err := c.p.checkSQL(ctx, c.on, query); err != nil {
		return nil, err
	}
	return c.Tx.PrepareContext(ctx, query)
}

// StmtContext checks st's SQL as ExecContext checks: a PrepareStmt
// session's transaction (*gorm.PreparedStmtTX) runs its statements
// through it. A refused statement's Exec and Query return the error.
func (c *checkedTx) StmtContext(ctx context.Context, st *sql.Stmt) *sql.Stmt {
	query, err := stmtText(st)
	if err == nil {
		err = c.p.checkSQL(ctx, c.on, query)
	}
	if err != nil {
		return sqlerr.Stmt(err)
	}
	return c.Tx.StmtContext(ctx, st)
}

// GetDBConn refuses, as the plugin's transactions do.
func (c *checkedTx) GetDBConn() (*sql.DB, error) {
	b, _ := txOf(c.Tx)
	return (&rootTx{route: b.route, tenant: b.tenant}).GetDBConn()
}

var (
	_ gorm.ConnPoolBeginner = (*checkedPool)(nil)
	_ gorm.GetDBConnector   = (*checkedPool)(nil)
	_ gorm.Tx               = (*checkedTx)(nil)
)
