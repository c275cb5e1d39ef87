package migrate

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
)

// lockSession takes the database's migration lock for work done on
// other connections than a transaction's (goose's), and returns its
// release. It is the lock AutoMigrate's transactions take, so the two
// exclude each other:
//   - PostgreSQL: pg_advisory_lock on a connection of its own, held
//     until released or the connection closes (a crashed runner's lock
//     goes with its session);
//   - SQLite: an exclusive flock on a file beside the database file
//     (the database's own write lock would block goose's writes), or a
//     process mutex for an in-memory database.
//
// It waits until ctx ends.
func lockSession(ctx context.Context, db *sql.DB, dialect string) (func(), error) {
	if dialect == "postgres" {
		return lockPostgres(ctx, db)
	}
	return lockSQLite(ctx, db)
}

func lockPostgres(ctx context.Context, db *sql.DB) (func(), error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: locking the database: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("migrate: locking the database: %w", err)
	}
	return func() {
		// The session ends with the connection in any case; unlocking
		// first lets the connection go back to the pool.
		_, err := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey)
		if err != nil {
			// Discard the connection: its session ends, and the lock
			// with it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		_ = conn.Close()
	}, nil
}

// memLocks serialises runners on an in-memory SQLite database, which
// only one process can see.
var memLocks sync.Map // *sql.DB -> *sync.Mutex

func lockSQLite(ctx context.Context, db *sql.DB) (func(), error) {
	var (
		seq        int
		name, file string
	)
	if err := db.QueryRowContext(ctx, "PRAGMA database_list").Scan(&seq, &name, &file); err != nil {
		return nil, fmt.Errorf("migrate: locking the database: %w", err)
	}
	if file == "" {
		v, _ := memLocks.LoadOrStore(db, new(sync.Mutex))
		mu := v.(*sync.Mutex)
		mu.Lock()
		return mu.Unlock, nil
	}
	return flockFile(ctx, file+".migrate-lock")
}
