package provision

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// PostgreSQL error codes handled as success.
const (
	pgDuplicateDatabase = "42P04" // CREATE DATABASE of an existing name
	pgUniqueViolation   = "23505" // two CREATE DATABASE of one name at once
)

// PostgresServer makes a database per tenant on one PostgreSQL server.
// Made by [Postgres]; safe for concurrent use. Close it when done.
type PostgresServer struct {
	template string // the admin DSN: the server, and the template of tenants' DSNs
	own      string // the admin DSN's database, never created or dropped
	admin    *sql.DB
}

var (
	_ Server        = (*PostgresServer)(nil)
	_ SessionLister = (*PostgresServer)(nil)
	_ Locker        = (*PostgresServer)(nil)
)

// Postgres returns the server of adminDSN (a URL or key=value DSN, as
// pgx reads them), whose user may create databases (CREATEDB). A
// tenant's database is reached with adminDSN, its database name
// replaced, and published as that name alone
// (tenantconfig.DataSource.Name): an instance merges it over its own
// template (its DATABASE_URL), so no host, user or password enters the
// store. Database names are always sent quoted as identifiers
// (pgx.Identifier), never spliced.
//
// Postgres does no I/O; errors never quote the DSN.
func Postgres(adminDSN string) (*PostgresServer, error) {
	cc, err := pgx.ParseConfig(adminDSN)
	if err != nil {
		// pgx's error holds the DSN, only partly redacted: keep the reason.
		if inner := errors.Unwrap(err); inner != nil {
			return nil, fmt.Errorf("provision: cannot parse the admin DSN: %w", inner)
		}
		return nil, errors.New("provision: cannot parse the admin DSN")
	}
	// The same check an instance's resolver makes of a tenant's config.
	if _, err := pgdriver.New().Connector(adminDSN, tenantconfig.DataSource{Name: "x"}); err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	// Not capped: a caller waiting for a Lock holds a connection, and the
	// holder needs another for its statements.
	admin := stdlib.OpenDB(*cc)
	admin.SetMaxIdleConns(2)
	return &PostgresServer{template: adminDSN, own: cc.Database, admin: admin}, nil
}

// Close closes the server's admin connections.
func (s *PostgresServer) Close() error { return s.admin.Close() }

// Database implements [Server]: the name alone.
func (s *PostgresServer) Database(name string) tenantconfig.Database {
	return tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: name}}
}

// NameOf implements [Server]. A name it would never create (the
// server's own databases, the admin DSN's) is not its.
func (s *PostgresServer) NameOf(db tenantconfig.Database) (string, bool) {
	if s.check(db.Name) != nil || !s.Database(db.Name).Equal(db) {
		return "", false
	}
	return db.Name, true
}

// check refuses names the server must never create or drop.
func (s *PostgresServer) check(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if name == s.own {
		return &nameError{fmt.Sprintf("provision: invalid database name %q: the admin DSN's own database", name)}
	}
	return nil
}

// Create implements [Server]: CREATE DATABASE, an existing one (42P04)
// being success.
func (s *PostgresServer) Create(ctx context.Context, name string) error {
	if err := s.check(name); err != nil {
		return err
	}
	_, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe) && pe.Code == pgDuplicateDatabase:
		return nil
	case errors.As(err, &pe) && pe.Code == pgUniqueViolation:
		// Another CREATE DATABASE of the name committed meanwhile.
		if ok, xerr := s.Exists(ctx, name); xerr == nil && ok {
			return nil
		}
	}
	return fmt.Errorf("provision: create database %q: %w", name, err)
}

// Exists implements [Server].
func (s *PostgresServer) Exists(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := s.admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1)", name).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("provision: looking for database %q: %w", name, err)
	}
	return ok, nil
}

// Drop implements [Server]: DROP DATABASE IF EXISTS. PostgreSQL itself
// waits up to 5 s for sessions that are ending; it fails if any remains.
func (s *PostgresServer) Drop(ctx context.Context, name string) error {
	if err := s.check(name); err != nil {
		return err
	}
	if _, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("provision: drop database %q: %w", name, err)
	}
	return nil
}

// Open implements [Server]: the tenant's DataSource over the admin DSN,
// opened by pgdriver as an instance's resolver opens it.
func (s *PostgresServer) Open(ctx context.Context, name string, cfg *gorm.Config) (*gorm.DB, error) {
	if err := s.check(name); err != nil {
		return nil, err
	}
	conn, err := pgdriver.New().Connector(s.template, s.Database(name).DataSource)
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	sqlDB := sql.OpenDB(conn)
	sqlDB.SetMaxOpenConns(4)
	return openGORM(ctx, sqlDB, postgres.New(postgres.Config{Conn: sqlDB}), cfg)
}

// Sessions implements [SessionLister] with pg_stat_activity.
func (s *PostgresServer) Sessions(ctx context.Context, name string) ([]Session, error) {
	rows, err := s.admin.QueryContext(ctx, `SELECT pid, coalesce(usename, ''), coalesce(application_name, ''), coalesce(state, '')
FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY pid`, name)
	if err != nil {
		return nil, fmt.Errorf("provision: sessions on %q: %w", name, err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var ss Session
		if err := rows.Scan(&ss.PID, &ss.User, &ss.Application, &ss.State); err != nil {
			return nil, fmt.Errorf("provision: sessions on %q: %w", name, err)
		}
		out = append(out, ss)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("provision: sessions on %q: %w", name, err)
	}
	return out, nil
}

// Lock implements [Locker] with a session advisory lock
// (pg_advisory_lock) on a connection of its own, which the server
// releases if the process dies.
func (s *PostgresServer) Lock(ctx context.Context, name string) (func(), error) {
	key := lockKey(name)
	conn, err := s.admin.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("provision: locking %q: %w", name, err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		discard(conn)
		return nil, fmt.Errorf("provision: locking %q: %w", name, err)
	}
	return func() {
		if _, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", key); err != nil {
			discard(conn) // closing the session releases the lock
			return
		}
		_ = conn.Close()
	}, nil
}

// discard closes conn's session rather than returning it to the pool.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

// lockKey is the advisory lock key of a database name.
func lockKey(name string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("tenantplugin:provision:" + name))
	return int64(h.Sum64()) //nolint:gosec // a lock key: any 64 bits will do
}

// openGORM opens a plain *gorm.DB on sqlDB with cfg (nil: a silent
// default), and pings it within ctx. On failure it closes sqlDB.
func openGORM(ctx context.Context, sqlDB *sql.DB, d gorm.Dialector, cfg *gorm.Config) (*gorm.DB, error) {
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("provision: %w", err)
	}
	if cfg == nil {
		cfg = &gorm.Config{Logger: logger.Discard}
	}
	cfg.DisableAutomaticPing = true // pinged above, within ctx
	db, err := gorm.Open(d, cfg)
	if err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("provision: %w", err)
	}
	return db, nil
}
