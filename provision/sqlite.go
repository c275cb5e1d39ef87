package provision

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// sqliteExt is the extension of a tenant's database file.
const sqliteExt = ".db"

// sqliteOpenDSN is what the provisioner's own pools add to a file name:
// waits for another writer instead of failing at once.
const sqliteOpenDSN = "?_pragma=busy_timeout(5000)"

// SQLiteServer makes a SQLite file per tenant in one directory. Made by
// [SQLiteDir]; safe for concurrent use. It cannot see other processes'
// connections, so Delete does not wait for them, and it locks nothing.
type SQLiteServer struct {
	dir string // absolute
}

var _ Server = (*SQLiteServer)(nil)

// SQLiteDir returns the server that keeps tenant databases as files
// NAME.db in dir, created when the first database is. A tenant's
// database is published as its file's absolute path
// (tenantconfig.DataSource.Name), which every instance must reach.
func SQLiteDir(dir string) (*SQLiteServer, error) {
	if dir == "" {
		return nil, errors.New("provision: SQLiteDir: no directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("provision: SQLiteDir: %w", err)
	}
	return &SQLiteServer{dir: abs}, nil
}

func (s *SQLiteServer) path(name string) string { return filepath.Join(s.dir, name+sqliteExt) }

// Database implements [Server]: the file's absolute path.
func (s *SQLiteServer) Database(name string) tenantconfig.Database {
	return tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: s.path(name)}}
}

// NameOf implements [Server].
func (s *SQLiteServer) NameOf(db tenantconfig.Database) (string, bool) {
	if filepath.Dir(db.Name) != s.dir || !strings.HasSuffix(db.Name, sqliteExt) {
		return "", false
	}
	name := strings.TrimSuffix(filepath.Base(db.Name), sqliteExt)
	if ValidateName(name) != nil || !s.Database(name).Equal(db) {
		return "", false
	}
	return name, true
}

// Create implements [Server]: an empty file is an empty SQLite database.
func (s *SQLiteServer) Create(_ context.Context, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	f, err := os.OpenFile(s.path(name), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("provision: create database %q: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("provision: create database %q: %w", name, err)
	}
	return nil
}

// Exists implements [Server].
func (s *SQLiteServer) Exists(_ context.Context, name string) (bool, error) {
	if err := ValidateName(name); err != nil {
		return false, err
	}
	fi, err := os.Stat(s.path(name))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("provision: %w", err)
	case !fi.Mode().IsRegular():
		return false, fmt.Errorf("provision: %s is not a regular file", s.path(name))
	}
	return true, nil
}

// Drop implements [Server]: removes the file and its journals.
func (s *SQLiteServer) Drop(_ context.Context, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	p := s.path(name)
	// The journals first: a crash in between must not leave a journal
	// that a new file of the same name would replay.
	for _, f := range []string{p + "-wal", p + "-shm", p + "-journal", p} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("provision: drop database %q: %w", name, err)
		}
	}
	return nil
}

// Open implements [Server], through sqlitedriver as an instance's
// resolver opens the file.
func (s *SQLiteServer) Open(ctx context.Context, name string, cfg *gorm.Config) (*gorm.DB, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	conn, err := sqlitedriver.New().Connector(sqliteOpenDSN, s.Database(name).DataSource)
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	sqlDB := sql.OpenDB(conn)
	return openGORM(ctx, sqlDB, &sqlite.Dialector{Conn: sqlDB}, cfg)
}
