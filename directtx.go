package tenantplugin

import (
	"context"
	"database/sql"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/internal/sqlerr"
)

// directTx is a transaction begun on the router by code outside GORM's
// callbacks (an sqlc-style DBTX handed db.ConnPool). GORM's callbacks
// check the statements of a GORM transaction; the statements of this
// one are checked the same way, by their context and their text: one
// whose context names another tenant, or whose text names a table of
// another database, is refused and nothing is sent.
type directTx struct {
	*rootTx
	p *Plugin
}

func (t *directTx) check(ctx context.Context, query string) error {
	d, err := t.p.textRoute(ctx, query)
	if err == nil {
		err = t.bound().admits(ctx, OpRaw, d)
	}
	if err != nil {
		t.p.refused(err)
	}
	return err
}

// PrepareContext implements gorm.ConnPool.
func (t *directTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if err := t.check(ctx, query); err != nil {
		return nil, err
	}
	return t.rootTx.PrepareContext(ctx, query)
}

// ExecContext implements gorm.ConnPool.
func (t *directTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := t.check(ctx, query); err != nil {
		return nil, err
	}
	return t.rootTx.ExecContext(ctx, query, args...)
}

// QueryContext implements gorm.ConnPool.
func (t *directTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := t.check(ctx, query); err != nil {
		return nil, err
	}
	return t.rootTx.QueryContext(ctx, query, args...)
}

// QueryRowContext implements gorm.ConnPool.
func (t *directTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if err := t.check(ctx, query); err != nil {
		return sqlerr.Row(ctx, err)
	}
	return t.rootTx.QueryRowContext(ctx, query, args...)
}

// StmtContext implements gorm.Tx. A PrepareStmt session's transaction
// (*gorm.PreparedStmtTX) prepares a statement through PrepareContext
// once, then runs it, and every later statement of the same text, in
// any transaction, through StmtContext: each run is checked here as
// ExecContext checks, by its context and st's text, and refused with
// st's Exec and Query returning the error, nothing sent. An admitted
// text is prepared on this transaction, as rootTx.StmtContext does: st
// itself may be of another tenant's database.
func (t *directTx) StmtContext(ctx context.Context, st *sql.Stmt) *sql.Stmt {
	query, err := stmtText(st)
	if err == nil {
		err = t.check(ctx, query)
	}
	if err != nil {
		return sqlerr.Stmt(err)
	}
	return t.stmtFor(ctx, query)
}

var _ gorm.Tx = (*directTx)(nil)
