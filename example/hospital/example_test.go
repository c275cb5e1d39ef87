package hospital_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Example migrates the models on a central database and two tenants',
// writes as one tenant, and reads each database file directly to show
// which tables it holds.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "hospital-example")
	defer os.RemoveAll(dir)
	file := func(name string) string { return filepath.Join(dir, name+".db") }
	quiet := slog.New(slog.DiscardHandler)

	db, _ := gorm.Open(sqlite.Open(file("central")), &gorm.Config{Logger: logger.Discard})
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	res, _ := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   quiet,
	})
	defer res.Close()
	tenants := []string{"tenant-1.localhost", "tenant-2.localhost"}
	for i, id := range tenants {
		_ = res.Set(ctx, id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: file(fmt.Sprintf("tenant-%d", i+1))}})
	}
	plugin := tenantplugin.New(tenantplugin.Config{
		Resolver:   res,
		Strategies: []tenantplugin.Strategy{hospital.Strategy()},
		Logger:     quiet,
	})
	defer plugin.Close()
	_ = db.Use(plugin)

	if _, err := migrate.AutoMigrate(ctx, db, tenants, hospital.Models()); err != nil {
		fmt.Println(err)
		return
	}

	tdb := db.WithContext(tenant.NewContext(ctx, "tenant-1.localhost"))
	fmt.Println(tdb.Create(&hospital.Hospital{Name: "City Hospital", Address: "1 Main Street"}).Error)
	fmt.Println(tdb.Create(&hospital.Patient{Name: "Ada", Email: "ada@example.com"}).Error)
	fmt.Println(tdb.Create(&hospital.AuditLog{Tenant: "tenant-1.localhost", Action: "admitted Ada", At: time.Now()}).Error)
	err := tdb.Create(&hospital.Patient{Name: "Ada again", Email: "ada@example.com"}).Error
	fmt.Println("same email twice refused:", err != nil)

	for _, name := range []string{"central", "tenant-1", "tenant-2"} {
		fmt.Printf("%s.db: %s\n", name, contents(ctx, file(name)))
	}
	// Output:
	// <nil>
	// <nil>
	// <nil>
	// same email twice refused: true
	// central.db: audit_logs(1) tenantplugin_migrations(1)
	// tenant-1.db: hospitals(1) patients(1) tenantplugin_migrations(1)
	// tenant-2.db: hospitals(0) patients(0) tenantplugin_migrations(1)
}

// contents lists a database file's tables and their row counts, read
// without the plugin.
func contents(ctx context.Context, path string) string {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		return err.Error()
	}
	var tables []string
	for rows.Next() {
		var t string
		_ = rows.Scan(&t)
		tables = append(tables, t)
	}
	_ = rows.Close()
	var out []string
	for _, t := range tables {
		var n int
		_ = db.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n)
		out = append(out, fmt.Sprintf("%s(%d)", t, n))
	}
	return strings.Join(out, " ")
}
