package main

import (
	"net/url"
	"os"
	"path/filepath"

	"github.com/tenantrouter/tenantplugin/example"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// sqliteFiles are the embedded default's databases: DIR/central.db and
// one file per tenant under DIR/tenants. Read-only, a file is opened
// read-only, and a missing one as an empty in-memory database (which is
// what a file not yet made holds), so that --check and --dry-run create
// nothing.
type sqliteFiles struct {
	dir      string
	readOnly bool
}

// make creates the directories of the files.
func (f sqliteFiles) make() error {
	return os.MkdirAll(filepath.Join(f.dir, example.TenantDir), 0o755)
}

// central returns the DSN of the central database.
func (f sqliteFiles) central() (string, error) {
	p := filepath.Join(f.dir, example.CentralFile)
	if !f.readOnly {
		return p + example.SQLitePragmas, nil
	}
	return readOnlyDSN(p)
}

// tenant returns the data source of the tenant's file.
func (f sqliteFiles) tenant(id string) (tenantconfig.DataSource, error) {
	p := filepath.Join(f.dir, example.TenantDir, example.TenantFile(id))
	if !f.readOnly {
		return tenantconfig.DataSource{Name: p}, nil // with the template's pragmas
	}
	dsn, err := readOnlyDSN(p)
	return tenantconfig.DataSource{DSN: dsn}, err
}

// readOnlyDSN opens the file at p read-only, or, when there is none, an
// empty in-memory database.
func readOnlyDSN(p string) (string, error) {
	if _, err := os.Stat(p); os.IsNotExist(err) {
		return ":memory:", nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro&_pragma=busy_timeout(5000)"}
	return u.String(), nil
}
