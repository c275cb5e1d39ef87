package pgdriver_test

import (
	"testing"

	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestDatabaseNamesTheDatabaseReached: the connector names the database
// the server gives it: without a dbname, PostgreSQL's default, the
// database named as the user. Two tenants given their own roles and no
// dbname reach two databases, and must not be taken for one. A host
// name's case does not matter; a Unix socket directory's does.
func TestDatabaseNamesTheDatabaseReached(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		want string
	}{
		{"postgres://alice@Db.Example:5433/shop", "db.example:5433/shop"},
		{"postgres://alice@db.example:5433", "db.example:5433/alice"},
		{"host=db.example port=5433 user=bob", "db.example:5433/bob"},
		{"host=/run/PG port=5433 user=bob dbname=shop", "/run/PG:5433/shop"},
	} {
		c, err := pgdriver.New().Connector("", tenantconfig.DataSource{DSN: tc.dsn})
		if err != nil {
			t.Fatalf("%s: %v", tc.dsn, err)
		}
		dc, ok := c.(dbdriver.DatabaseConnector)
		if !ok {
			t.Fatalf("%s: the connector does not name its database", tc.dsn)
		}
		if got := dc.Database(); got != tc.want {
			t.Errorf("%s: Database() = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}
