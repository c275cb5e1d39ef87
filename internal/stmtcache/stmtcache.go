// Package stmtcache keeps prepared statements for one physical connection
// pool. Its cache is keyed by SQL text, so one Cache must never front more
// than one database: that is why the plugin keeps one per pool.
package stmtcache

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/internal/sqlerr"
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
	stmts  map[string]*entry
	closed bool
}

// entry is a cached statement. It is closed once it has left the cache
// and nobody uses it any more.
type entry struct {
	st      *sql.Stmt
	refs    atomic.Int64
	evicted atomic.Bool
}

func (e *entry) done() {
	if e.refs.Add(-1) == 0 && e.evicted.Load() {
		_ = e.st.Close()
	}
}

func (e *entry) evict() {
	e.evicted.Store(true)
	if e.refs.Load() == 0 {
		_ = e.st.Close() // closing twice is harmless
	}
}

// New returns a cache of statements prepared on db, holding at most
// maxSize (DefaultMaxSize when maxSize <= 0).
func New(db *sql.DB, maxSize int) *Cache {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	return &Cache{db: db, max: maxSize, stmts: make(map[string]*entry)}
}

// get returns the entry for query, prepared if needed, with a reference
// the caller gives back with done.
func (c *Cache) get(ctx context.Context, query string) (*entry, error) {
	c.mu.RLock()
	e, ok := c.stmts[query]
	if ok {
		e.refs.Add(1)
	}
	closed := c.closed
	c.mu.RUnlock()
	if ok {
		return e, nil
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
		old.refs.Add(1)
		return old, nil
	}
	if len(c.stmts) >= c.max {
		for k, v := range c.stmts { // evict one arbitrary statement
			delete(c.stmts, k)
			v.evict()
			break
		}
	}
	e = &entry{st: st}
	e.refs.Add(1)
	c.stmts[query] = e
	return e, nil
}

// Prepare returns the cached statement for query, preparing it first if
// needed. The statement stays valid until the Cache is closed or evicts
// it; Pool and Tx keep it open while they use it.
func (c *Cache) Prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	e, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	e.done()
	return e.st, nil
}

// forget drops a statement that went bad.
func (c *Cache) forget(query string) {
	c.mu.Lock()
	e, ok := c.stmts[query]
	delete(c.stmts, query)
	c.mu.Unlock()
	if ok {
		e.evict()
	}
}

// Len returns the number of cached statements.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.stmts)
}

// Close closes every cached statement; those in use close when released.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.stmts {
		delete(c.stmts, k)
		e.evict()
	}
	c.closed = true
	return nil
}

// DB returns the pool the statements are prepared on.
func (c *Cache) DB() *sql.DB { return c.db }

// stale reports an error after which a cached statement must be
// prepared again: a bad connection, or PostgreSQL's refusal to run a
// plan made before the table changed.
func stale(err error) bool {
	return err != nil && (errors.Is(err, driver.ErrBadConn) ||
		strings.Contains(err.Error(), "cached plan must not change result type"))
}

// run runs f with the cached statement for query. When the statement was
// stale it is dropped and, outside transactions, f runs once more on a
// fresh one: the failed run changed nothing.
func run[T any](ctx context.Context, c *Cache, query string, retry bool, f func(*sql.Stmt) (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		e, err := c.get(ctx, query)
		if err != nil {
			var zero T
			return zero, err
		}
		res, err := f(e.st)
		e.done()
		if !stale(err) {
			return res, err
		}
		c.forget(query)
		if !retry || attempt > 0 {
			return res, err
		}
	}
}

// Pool is a gorm.ConnPool that runs every statement as a cached prepared
// statement of its Cache.
type Pool struct{ C *Cache }

// PrepareContext prepares on the underlying pool, uncached.
func (p Pool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.C.db.PrepareContext(ctx, query)
}

// ExecContext runs query as a cached prepared statement.
func (p Pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return run(ctx, p.C, query, true, func(st *sql.Stmt) (sql.Result, error) {
		return st.ExecContext(ctx, args...)
	})
}

// QueryContext runs query as a cached prepared statement.
func (p Pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return run(ctx, p.C, query, true, func(st *sql.Stmt) (*sql.Rows, error) {
		return st.QueryContext(ctx, args...)
	})
}

// QueryRowContext runs query as a cached prepared statement.
func (p Pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	e, err := p.C.get(ctx, query)
	if err != nil {
		return sqlerr.Row(ctx, err)
	}
	defer e.done()
	return e.st.QueryRowContext(ctx, args...)
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
	return run(ctx, t.C, query, false, func(st *sql.Stmt) (sql.Result, error) {
		return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	})
}

// QueryContext runs query on the transaction as a prepared statement.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return run(ctx, t.C, query, false, func(st *sql.Stmt) (*sql.Rows, error) {
		return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	})
}

// QueryRowContext runs query on the transaction as a prepared statement.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	e, err := t.C.get(ctx, query)
	if err != nil {
		return sqlerr.Row(ctx, err)
	}
	defer e.done()
	return t.Tx.StmtContext(ctx, e.st).QueryRowContext(ctx, args...)
}

var (
	_ gorm.ConnPool       = Pool{}
	_ gorm.TxBeginner     = Pool{}
	_ gorm.GetDBConnector = Pool{}
	_ gorm.ConnPool       = (*Tx)(nil)
)
