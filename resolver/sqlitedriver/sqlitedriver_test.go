package sqlitedriver_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

func TestConnector(t *testing.T) {
	dir := t.TempDir()
	d := sqlitedriver.New()
	conn, err := d.Connector("ignored.db?_pragma=busy_timeout(1234)", tenantconfig.DataSource{Name: filepath.Join(dir, "a.db")})
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	var timeout int
	if err := db.QueryRowContext(context.Background(), "PRAGMA busy_timeout").Scan(&timeout); err != nil {
		t.Fatal(err)
	}
	if timeout != 1234 {
		t.Fatalf("busy_timeout = %d: the template's parameters were not applied", timeout)
	}
	for _, bad := range []tenantconfig.DataSource{{}, {Name: "x.db", Host: "h"}, {Name: "x.db", Password: "p"}} {
		if _, err := d.Connector("", bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
