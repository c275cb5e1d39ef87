package tenanttest

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
)

// sqliteParams are the connection parameters of every SQLite database:
// writers wait for each other rather than fail, and readers do not block
// writers.
const sqliteParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"

// sqliteServer keeps databases as files.
type sqliteServer struct{}

func (sqliteServer) kind() string { return "sqlite" }
func (sqliteServer) key() string  { return "sqlite" }

func (sqliteServer) driver() resolver.DialectorDriver {
	return sqlitedriver.New().(resolver.DialectorDriver)
}

func (sqliteServer) templateDSN() string { return "tenant.db?" + sqliteParams }

func (sqliteServer) dialector(pool gorm.ConnPool) gorm.Dialector {
	return &sqlite.Dialector{Conn: pool}
}

func (s sqliteServer) connector(name string) (driver.Connector, error) {
	return sqlitedriver.New().Connector(s.templateDSN(), dataSource(name))
}

func (s sqliteServer) buildConnector(name string) (driver.Connector, func(context.Context) error, error) {
	// The default journal: once its connections are closed, the file
	// alone holds the database, ready to be copied.
	c, err := sqlitedriver.New().Connector("", dataSource(name))
	return c, func(context.Context) error { return nil }, err
}

func (sqliteServer) admin(_ context.Context, dir string) (admin, error) {
	return sqliteAdmin{dir: dir}, nil
}

// sqliteAdmin makes files in dir.
type sqliteAdmin struct{ dir string }

func (a sqliteAdmin) name(what string) string {
	return filepath.Join(a.dir, fmt.Sprintf("%s-%d.db", what, seq.Add(1)))
}

// create makes an empty file, which SQLite reads as an empty database.
func (sqliteAdmin) create(_ context.Context, name string) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

func (sqliteAdmin) clone(_ context.Context, tpl, name string) (err error) {
	src, err := os.Open(tpl)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, dst.Close()) }()
	_, err = io.Copy(dst, src)
	return err
}

func (sqliteAdmin) seal(context.Context, string) error { return nil }

// drop removes the file and its journals.
func (sqliteAdmin) drop(_ context.Context, name string) error {
	var errs []error
	for _, f := range []string{name, name + "-wal", name + "-shm", name + "-journal"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (sqliteAdmin) close() error { return nil }
