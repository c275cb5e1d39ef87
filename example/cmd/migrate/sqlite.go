package main

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// sqlitePragmas are the embedded default's connection settings: a busy
// timeout, so that two runners at once wait for each other's write
// lock, and WAL.
const sqlitePragmas = "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"

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
	return os.MkdirAll(filepath.Join(f.dir, "tenants"), 0o755)
}

// central returns the DSN of the central database.
func (f sqliteFiles) central() (string, error) {
	p := filepath.Join(f.dir, "central.db")
	if !f.readOnly {
		return p + sqlitePragmas, nil
	}
	return readOnlyDSN(p)
}

// tenant returns the data source of the tenant's file.
func (f sqliteFiles) tenant(id string) (tenantconfig.DataSource, error) {
	p := filepath.Join(f.dir, "tenants", fileName(id))
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

// fileName names a tenant's database file after its id. Ids may hold
// any printable character but '/' and '\' (tenant.ValidateID), so any
// character but lower-case letters, digits, '.', '_' and '-' becomes
// '_', as does a leading '.', and a name so changed ends in '+' and a
// hash of the id ('+' is in no unchanged name), so that two ids never
// share a file (on case-insensitive file systems either).
func fileName(id string) string {
	var b strings.Builder
	changed := false
	for i, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' && i > 0
		if !ok {
			r, changed = '_', true
		}
		b.WriteRune(r)
	}
	if changed {
		h := fnv.New32a()
		_, _ = h.Write([]byte(id))
		fmt.Fprintf(&b, "+%08x", h.Sum32())
	}
	return b.String() + ".db"
}
