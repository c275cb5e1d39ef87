package sqlitedriver_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

func ExampleNew() {
	dir, _ := os.MkdirTemp("", "sqlitedriver")
	defer os.RemoveAll(dir)
	conn, err := sqlitedriver.New().Connector("?_pragma=busy_timeout(5000)",
		tenantconfig.DataSource{Name: filepath.Join(dir, "acme.db")})
	if err != nil {
		fmt.Println(err)
		return
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	var timeout int
	_ = db.QueryRowContext(context.Background(), "PRAGMA busy_timeout").Scan(&timeout)
	fmt.Println(timeout)
	// Output: 5000
}
