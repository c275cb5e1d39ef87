package tenantplugin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"runtime"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/internal/sqlerr"
	"github.com/tenantrouter/tenantplugin/internal/stmtcache"
)

// router is the root connection pool of a *gorm.DB with the plugin. Every
// statement is routed by the callbacks before it reaches a pool, so the
// router sees only what runs no callbacks: Begin and Transaction, routed
// by context, and code that calls the pool directly, routed by its SQL
// text and context as Raw and Exec are.
type router struct{ p *Plugin }

// PrepareContext refuses: a statement cache in front of the router would
// key statements by SQL text across tenants.
func (r *router) PrepareContext(context.Context, string) (*sql.Stmt, error) {
	return nil, ErrBypassedRouting
}

func (r *router) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	pool, err := r.p.poolFor(ctx, query)
	if err != nil {
		return nil, err
	}
	return pool.ExecContext(ctx, query, args...)
}

func (r *router) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	pool, err := r.p.poolFor(ctx, query)
	if err != nil {
		return nil, err
	}
	return pool.QueryContext(ctx, query, args...)
}

func (r *router) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	pool, err := r.p.poolFor(ctx, query)
	if err != nil {
		return failPool{err}.QueryRowContext(ctx, query, args...)
	}
	return pool.QueryRowContext(ctx, query, args...)
}

// BeginTx begins the transaction on the database of the context's route:
// a strategy's answer for [OpBegin], else the context's tenant. GORM's
// Begin and Transaction come here; so does code outside GORM handed
// db.ConnPool, whose statements on the transaction are checked as
// GORM's callbacks check a GORM transaction's (directTx).
func (r *router) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	route := r.p.decide(Statement{Context: ctx, Op: OpBegin})
	var tx *rootTx
	if alias, ok := route.Alias(); ok {
		rc, err := r.p.reservedConn(alias, false, false)
		if err != nil {
			r.p.refused(err)
			return nil, err
		}
		if tx, err = beginOn(ctx, rc.raw, opts, ReservedRoute(alias), "", rc.cache, rc.pinned); err != nil {
			return nil, err
		}
	} else {
		tenant, pool, err := r.p.tenantPool(ctx, AccessWrite)
		if err != nil {
			r.p.refused(err)
			return nil, err
		}
		if tx, err = beginOn(ctx, pool, opts, route, tenant, nil, false); err != nil {
			return nil, err
		}
	}
	return &directTx{rootTx: tx, p: r.p}, nil
}

// GetDBConn returns the pool the *gorm.DB was opened with (the reserved
// alias [DefaultAlias]), so that db.DB() keeps working for pool settings,
// Ping and Close. It routes nothing.
//
// Inside a transaction of a PrepareStmt session, GORM's tx.DB() asks the
// session's statement cache, which asks the router (the transaction is
// not asked): that call is refused, as tx.DB() is in any transaction of
// the plugin's (rootTx.GetDBConn).
func (r *router) GetDBConn() (*sql.DB, error) {
	if fromPreparedTx() {
		return nil, fmt.Errorf("%w: db.DB() inside a transaction of a PrepareStmt session would hand out the central database's pool, outside the transaction; run statements on the transaction, and lease a tenant's *sql.DB with Resolver.Lease",
			ErrBypassedRouting)
	}
	return r.p.bootstrapDB()
}

// fromPreparedTx reports whether GetDBConn was called by GORM's
// PreparedStmtTX.GetDBConn (through PreparedStmtDB.GetDBConn).
func fromPreparedTx() bool {
	var pcs [4]uintptr
	n := runtime.Callers(3, pcs[:]) // above GetDBConn and this function
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if f.Function == "gorm.io/gorm.(*PreparedStmtTX).GetDBConn" {
			return true
		}
		if !more {
			return false
		}
	}
}

// Ping checks the pool the *gorm.DB was opened with.
func (r *router) Ping() error {
	db, err := r.p.bootstrapDB()
	if err != nil {
		return err
	}
	return db.Ping()
}

// beginOn begins a transaction on pool and binds it to route.
func beginOn(ctx context.Context, pool gorm.ConnPool, opts *sql.TxOptions, route Route, tenant string, cache *stmtcache.Cache, pinned bool) (*rootTx, error) {
	var inner gorm.Tx
	switch b := pool.(type) {
	case gorm.TxBeginner:
		tx, err := b.BeginTx(ctx, opts)
		if err != nil {
			return nil, err
		}
		inner = tx
	case gorm.ConnPoolBeginner:
		c, err := b.BeginTx(ctx, opts)
		if err != nil {
			return nil, err
		}
		tx, ok := c.(gorm.Tx)
		if !ok {
			_ = rollbackAny(c)
			return nil, fmt.Errorf("tenantplugin: %T.BeginTx returned %T, not a gorm.Tx", pool, c)
		}
		inner = tx
	default:
		return nil, gorm.ErrInvalidTransaction
	}
	if cache == nil {
		if sc, ok := inner.(interface{ StmtCache() *stmtcache.Cache }); ok {
			cache = sc.StmtCache()
		}
	}
	t := &rootTx{Tx: inner, route: route, tenant: tenant, pinned: pinned}
	if cache != nil {
		t.prepared = &stmtcache.Tx{Tx: t, C: cache}
	}
	return t, nil
}

func rollbackAny(c gorm.ConnPool) error {
	if tc, ok := c.(gorm.TxCommitter); ok {
		return tc.Rollback()
	}
	return nil
}

// rootTx is a transaction bound to one route. Statements inside it never
// switch databases; those that would route elsewhere fail.
type rootTx struct {
	gorm.Tx
	route  Route
	tenant string // for the tenant route
	pinned bool   // begun under reserved.Use
	// prepared runs statements through the pool's own statement cache,
	// for sessions with PrepareStmt; nil when the pool has none.
	prepared *stmtcache.Tx
}

// GetDBConn refuses: tx.DB() and tx.Connection would hand out the
// connection pool the transaction runs on, where work for any tenant
// could run outside the transaction and after the pool closes.
func (t *rootTx) GetDBConn() (*sql.DB, error) {
	return nil, fmt.Errorf("%w: db.DB() and db.Connection inside a transaction on %s would hand out its connection pool outside the transaction; run statements on the transaction, and lease a tenant's *sql.DB with Resolver.Lease",
		ErrBypassedRouting, t.bound().where())
}

// StmtContext returns st as a statement of this transaction. st may
// come from GORM's cache of a PrepareStmt session (*gorm.PreparedStmtTX
// runs every statement through StmtContext), which keeps one statement
// per SQL text for the transactions of every database: one prepared on
// another tenant's database, which database/sql refuses ("statement
// from different database used") and GORM would hand out again for
// good. So st is never run as it is: its text is prepared on this
// transaction, through the pool's statement cache when it has one
// (database/sql prepares a statement of another transaction again on
// this one too).
func (t *rootTx) StmtContext(ctx context.Context, st *sql.Stmt) *sql.Stmt {
	query, err := stmtText(st)
	if err != nil {
		return sqlerr.Stmt(err)
	}
	return t.stmtFor(ctx, query)
}

// stmtFor prepares query on the transaction.
func (t *rootTx) stmtFor(ctx context.Context, query string) *sql.Stmt {
	if t.prepared != nil {
		st, err := t.prepared.C.Prepare(ctx, query)
		if err != nil {
			return sqlerr.Stmt(err)
		}
		return t.Tx.StmtContext(ctx, st) // the pool's own: database/sql reuses its connection's
	}
	st, err := t.Tx.PrepareContext(ctx, query)
	if err != nil {
		return sqlerr.Stmt(err)
	}
	return st
}

func (t *rootTx) bound() boundTx {
	b := boundTx{route: t.route, pinned: t.pinned, tenant: t.tenant, conn: t}
	if t.prepared != nil {
		b.prepared = t.prepared
	}
	return b
}

// reservedConn is a reserved database as the callbacks install it on a
// statement. Transactions begun on it are bound to its alias. A pinned
// reservedConn was set by an explicit clause and is kept by later
// statements of the same session.
type reservedConn struct {
	alias  string
	pool   gorm.ConnPool // what statements run on (the cache's Pool when prepared)
	raw    gorm.ConnPool // what transactions begin on
	cache  *stmtcache.Cache
	pinned bool
	routed *routedCounter // the alias's, for Stats
}

func (c *reservedConn) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return c.pool.PrepareContext(ctx, q)
}

func (c *reservedConn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return c.pool.ExecContext(ctx, q, args...)
}

func (c *reservedConn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return c.pool.QueryContext(ctx, q, args...)
}

func (c *reservedConn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return c.pool.QueryRowContext(ctx, q, args...)
}

func (c *reservedConn) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	return beginOn(ctx, c.raw, opts, ReservedRoute(c.alias), "", c.cache, c.pinned)
}

func (c *reservedConn) GetDBConn() (*sql.DB, error) { return sqlDBOf(c.raw) }

func sqlDBOf(pool gorm.ConnPool) (*sql.DB, error) {
	switch p := pool.(type) {
	case *sql.DB:
		return p, nil
	case gorm.GetDBConnector:
		return p.GetDBConn()
	}
	return nil, gorm.ErrInvalidDB
}

// failPool answers every call with its error: it is installed when routing
// fails, so that nothing can reach a database even if a caller ignores
// the statement's error.
type failPool struct{ err error }

func (f failPool) PrepareContext(context.Context, string) (*sql.Stmt, error) { return nil, f.err }
func (f failPool) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	return nil, f.err
}
func (f failPool) QueryContext(context.Context, string, ...any) (*sql.Rows, error) {
	return nil, f.err
}

// QueryRowContext returns a row whose Scan reports the error.
func (f failPool) QueryRowContext(ctx context.Context, _ string, _ ...any) *sql.Row {
	return sqlerr.Row(ctx, f.err)
}

func (f failPool) BeginTx(context.Context, *sql.TxOptions) (gorm.ConnPool, error) {
	return nil, f.err
}

// failTx is the failPool of a statement refused on a transaction: it
// refuses every statement, and Commit and Rollback end the transaction,
// which stays the *gorm.DB's (unroute puts it back). Else the *gorm.DB
// of a transaction kept from a chain (tx.Where(...)) could not end it
// after a refused statement: the transaction, its connection and its
// pool's lease would be held until the context ends.
type failTx struct {
	failPool
	tx gorm.ConnPool // a gorm.TxCommitter
}

func (f failTx) Commit() error   { return f.tx.(gorm.TxCommitter).Commit() }
func (f failTx) Rollback() error { return f.tx.(gorm.TxCommitter).Rollback() }

// refusing returns the pool of a statement on cur refused with err.
func refusing(cur gorm.ConnPool, err error) gorm.ConnPool {
	if _, ok := cur.(gorm.TxCommitter); ok {
		return failTx{failPool{err}, cur}
	}
	return failPool{err}
}

// stmtQuery is the path to the SQL text of a *sql.Stmt. database/sql
// keeps it unexported, and StmtContext is handed nothing else to tell
// what a statement runs; nil if database/sql no longer has it, and then
// StmtContext refuses.
var stmtQuery = func() []int {
	f, ok := reflect.TypeFor[sql.Stmt]().FieldByName("query")
	if !ok || f.Type.Kind() != reflect.String {
		return nil
	}
	return f.Index
}()

// stmtText returns the SQL text st was prepared from (set when st is
// made, never changed).
func stmtText(st *sql.Stmt) (string, error) {
	if st == nil {
		return "", errors.New("tenantplugin: StmtContext given a nil *sql.Stmt")
	}
	if stmtQuery == nil {
		return "", fmt.Errorf("%w: this Go's database/sql does not show a prepared statement's SQL; run it with ExecContext or QueryContext on the transaction",
			ErrUnreadableSQL)
	}
	return reflect.ValueOf(st).Elem().FieldByIndex(stmtQuery).String(), nil
}

// dryRunPool is installed on DryRun statements. GORM begins no implicit
// transaction on it (ErrInvalidTransaction tells GORM to go without), and
// nothing sent to it leaves.
type dryRunPool struct{}

var errDryRun = errors.New("tenantplugin: a DryRun statement sends nothing")

func (dryRunPool) PrepareContext(context.Context, string) (*sql.Stmt, error) { return nil, errDryRun }
func (dryRunPool) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	return nil, errDryRun
}
func (dryRunPool) QueryContext(context.Context, string, ...any) (*sql.Rows, error) {
	return nil, errDryRun
}
func (dryRunPool) QueryRowContext(ctx context.Context, _ string, _ ...any) *sql.Row {
	return sqlerr.Row(ctx, errDryRun)
}
func (dryRunPool) BeginTx(context.Context, *sql.TxOptions) (gorm.ConnPool, error) {
	return nil, gorm.ErrInvalidTransaction
}

var (
	_ gorm.ConnPool         = (*router)(nil)
	_ gorm.ConnPoolBeginner = (*router)(nil)
	_ gorm.GetDBConnector   = (*router)(nil)
	_ gorm.Tx               = (*rootTx)(nil)
	_ gorm.ConnPoolBeginner = (*reservedConn)(nil)
	_ gorm.GetDBConnector   = (*reservedConn)(nil)
	_ gorm.ConnPoolBeginner = failPool{}
	_ gorm.TxCommitter      = failTx{}
	_ gorm.ConnPoolBeginner = dryRunPool{}
)
