// Package stmtcache keeps prepared statements for one physical connection
// pool. Its cache is keyed by SQL text, so one Cache must never front more
// than one database: that is why the plugin keeps one per pool.
package stmtcache

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"gorm.io/gorm"
)

// DefaultMaxSize is the number of statements a Cache keeps by default.
const DefaultMaxSize = 512

// ErrClosed is returned by a Cache after Close.
var ErrClosed = errors.New("tenantplugin: statement cache closed")

// Cache holds the prepared statements of one *sql.DB.
type Cache struct {
	db  *sql.DB
	max int

	mu     sync.RWMutex
	stmts  map[string]*sql.Stmt
	closed bool
}

// New returns a cache of statements prepared on db, holding at most
// maxSize (DefaultMaxSize when maxSize <= 0).
func New(db *sql.DB, maxSize int) *Cache {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	return &Cache{db: db, max: maxSize, stmts: make(map[string]*sql.Stmt)}
}

// Prepare returns the cached statement for query, preparing it first if
// needed.
func (c *Cache) Prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.stmts[query]
	closed := c.closed
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	if closed {
		return nil, ErrClosed
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		_ = st.Close()
		return nil, ErrClosed
	}
	if old, ok := c.stmts[query]; ok {
		_ = st.Close()
		return old, nil
	}
	if len(c.stmts) >= c.max {
		for k, v := range c.stmts { // evict one arbitrary statement
			_ = v.Close()
			delete(c.stmts, k)
			break
		}
	}
	c.stmts[query] = st
	return st, nil
}

// forget drops a statement whose connection went bad.
func (c *Cache) forget(query string) {
	c.mu.Lock()
	if st, ok := c.stmts[query]; ok {
		_ = st.Close()
		delete(c.stmts, query)
	}
	c.mu.Unlock()
}

// Len returns the number of cached statements.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.stmts)
}

// Close closes every cached statement. Statements in use finish first
// (database/sql defers the close until they are released).
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for k, st := range c.stmts {
		errs = append(errs, st.Close())
		delete(c.stmts, k)
	}
	c.closed = true
	return errors.Join(errs...)
}

// DB returns the pool the statements are prepared on.
func (c *Cache) DB() *sql.DB { return c.db }

// Pool is a gorm.ConnPool that runs every statement as a cached prepared
// statement of its Cache.
type Pool struct{ C *Cache }

// PrepareContext prepares on the underlying pool, uncached.
func (p Pool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.C.db.PrepareContext(ctx, query)
}

// ExecContext runs query as a cached prepared statement.
func (p Pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.C.Prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(ctx, args...)
	if isBadConn(err) {
		p.C.forget(query)
	}
	return res, err
}

// QueryContext runs query as a cached prepared statement.
func (p Pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.C.Prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if isBadConn(err) {
		p.C.forget(query)
	}
	return rows, err
}

// QueryRowContext runs query as a cached prepared statement. A prepare
// error surfaces from the returned row's Scan.
func (p Pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.C.Prepare(ctx, query)
	if err != nil {
		// database/sql gives no way to build a Row that carries an error:
		// fall back to the pool, which reports the same error.
		return p.C.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// BeginTx begins a transaction on the underlying pool.
func (p Pool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	return p.C.db.BeginTx(ctx, opts)
}

// GetDBConn returns the underlying pool.
func (p Pool) GetDBConn() (*sql.DB, error) { return p.C.db, nil }

// Tx runs the statements of a transaction through a Cache: each cached
// statement is re-bound to the transaction's connection.
type Tx struct {
	gorm.Tx
	C *Cache
}

// ExecContext runs query on the transaction as a prepared statement.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.C.Prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// QueryContext runs query on the transaction as a prepared statement.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.C.Prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

// QueryRowContext runs query on the transaction as a prepared statement.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.C.Prepare(ctx, query)
	if err != nil {
		return t.Tx.QueryRowContext(ctx, query, args...)
	}
	return t.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}

func isBadConn(err error) bool {
	return err != nil && errors.Is(err, driverErrBadConn)
}

var (
	_ gorm.ConnPool       = Pool{}
	_ gorm.TxBeginner     = Pool{}
	_ gorm.GetDBConnector = Pool{}
	_ gorm.ConnPool       = (*Tx)(nil)
)
