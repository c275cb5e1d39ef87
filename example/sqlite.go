package example

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// SQLitePragmas are the connection settings of the example's SQLite
// databases, to append to a file name: a busy timeout, so that the
// server's handlers, its task runner and a migrate run wait for each
// other's write lock, and WAL.
const SQLitePragmas = "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"

// The layout of the embedded default's data directory, shared by the
// example commands: the central database DIR/CentralFile and one file per
// tenant under DIR/TenantDir, named by [TenantFile].
const (
	CentralFile = "central.db"
	TenantDir   = "tenants"
)

// TenantFile names a tenant's database file after its id. Ids may hold
// any printable character but '/' and '\' (tenant.ValidateID), so any
// character but lower-case letters, digits, '.', '_' and '-' becomes
// '_', as does a leading '.', and a name so changed ends in '+' and a
// hash of the id ('+' is in no unchanged name), so that two ids never
// share a file (on case-insensitive file systems either).
func TenantFile(id string) string {
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
