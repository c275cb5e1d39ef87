package main

import (
	"os"
	"path/filepath"

	"github.com/tenantrouter/tenantplugin/example"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// sqliteFiles are the embedded default's databases: DIR/central.db and
// one file per tenant under DIR/tenants, as example/cmd/migrate makes
// them.
type sqliteFiles struct{ dir string }

// make creates the directories of the files.
func (f sqliteFiles) make() error {
	return os.MkdirAll(filepath.Join(f.dir, example.TenantDir), 0o755)
}

// central returns the DSN of the central database.
func (f sqliteFiles) central() string {
	return filepath.Join(f.dir, example.CentralFile) + example.SQLitePragmas
}

// tenant returns the data source of the tenant's file, merged over the
// template's pragmas.
func (f sqliteFiles) tenant(id string) tenantconfig.DataSource {
	return tenantconfig.DataSource{Name: filepath.Join(f.dir, example.TenantDir, example.TenantFile(id))}
}
