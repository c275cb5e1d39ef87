package main

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// sqlitePragmas are the embedded default's connection settings: a busy
// timeout, so that the request handlers and the task runner wait for
// each other's write lock, and WAL.
const sqlitePragmas = "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"

// sqliteFiles are the embedded default's databases: DIR/central.db and
// one file per tenant under DIR/tenants, as example/cmd/migrate makes
// them.
type sqliteFiles struct{ dir string }

// make creates the directories of the files.
func (f sqliteFiles) make() error {
	return os.MkdirAll(filepath.Join(f.dir, "tenants"), 0o755)
}

// central returns the DSN of the central database.
func (f sqliteFiles) central() string {
	return filepath.Join(f.dir, "central.db") + sqlitePragmas
}

// tenant returns the data source of the tenant's file, merged over the
// template's pragmas.
func (f sqliteFiles) tenant(id string) tenantconfig.DataSource {
	return tenantconfig.DataSource{Name: filepath.Join(f.dir, "tenants", fileName(id))}
}

// fileName names a tenant's database file after its id, as
// example/cmd/migrate does: any character but lower-case letters,
// digits, '.', '_' and '-' becomes '_', as does a leading '.', and a
// name so changed ends in '+' and a hash of the id, so that two ids
// never share a file.
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
