package sqlitedriver_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
)

func ExampleNew() {
	dir, _ := os.MkdirTemp("", "sqlitedriver")
	defer os.RemoveAll(dir)
	conn, err := sqlitedriver.New().Connector("?_pragma=busy_timeout(5000)",
		resolver.DBConfig{Name: filepath.Join(dir, "acme.db")})
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
