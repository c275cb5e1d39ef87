package resolver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"

	"github.com/tenantrouter/tenantplugin/internal/stmtcache"
)

// badConnRetries is how many times beginTx tries again on a connection
// the driver reports bad, as database/sql's own BeginTx does.
const badConnRetries = 2

// leasedTx is a transaction holding its pool's lease until it ends: at
// Commit or Rollback, or when its context ends. database/sql rolls a
// transaction back when its context ends, and callers may then drop it
// without calling either (net/http cancels a request's context when the
// handler returns, panics included): the lease must not outlive it.
//
// The transaction runs on a *sql.Conn of its own. Conn.Close waits until
// the transaction has let go of the connection, whoever ends it (the
// caller, or database/sql on the context's end), so the lease is released
// only once the connection is back: the pool never closes under a
// rollback in progress.
type leasedTx struct {
	*sql.Tx
	conn *sql.Conn
	p    *pool
	// stop unregisters the watch on the context; set before the
	// transaction is handed out.
	stop func() bool
	once sync.Once
}

// beginTx begins a transaction on the primary. The caller holds a lease
// on p, which the transaction takes over when it begins.
func (p *pool) beginTx(ctx context.Context, opts *sql.TxOptions) (*leasedTx, error) {
	for attempt := 0; ; attempt++ {
		conn, err := p.primary.Conn(ctx)
		if err != nil {
			return nil, err
		}
		tx, err := conn.BeginTx(ctx, opts)
		if err != nil {
			_ = conn.Close()
			if errors.Is(err, driver.ErrBadConn) && attempt < badConnRetries {
				continue
			}
			return nil, err
		}
		t := &leasedTx{Tx: tx, conn: conn, p: p}
		t.stop = context.AfterFunc(ctx, t.end)
		return t, nil
	}
}

// Commit commits, and returns once the lease is released.
func (t *leasedTx) Commit() error {
	t.stop()
	err := t.Tx.Commit()
	t.end()
	return err
}

// Rollback rolls back, and returns once the lease is released.
func (t *leasedTx) Rollback() error {
	t.stop()
	err := t.Tx.Rollback()
	t.end()
	return err
}

// end puts the connection back and releases the lease, once; a caller
// that comes second waits until the first is done.
func (t *leasedTx) end() { t.once.Do(t.release) }

func (t *leasedTx) release() {
	// Close waits for the transaction to be over: Commit, Rollback or
	// database/sql's rollback when the context ended.
	_ = t.conn.Close()
	t.p.release()
}

// TxTenant names the tenant the transaction belongs to, so that the
// plugin keeps its statements on it.
func (t *leasedTx) TxTenant() string { return t.p.tenant }

// StmtCache gives the plugin the primary's statement cache, for sessions
// with PrepareStmt; nil when the pool has none.
func (t *leasedTx) StmtCache() *stmtcache.Cache { return t.p.primaryStmt }

// GetDBConn refuses, as on the tenant's pool: the *sql.DB would outlive
// the transaction's lease. Resolver.Lease hands one out under a lease.
func (t *leasedTx) GetDBConn() (*sql.DB, error) { return nil, unleasedDB(t.p.tenant) }
