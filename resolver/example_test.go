package resolver_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// ExampleResolver_Set registers tenants, then moves one to another
// database at run time; a config older than the current one is refused.
func ExampleResolver_Set() {
	dir, _ := os.MkdirTemp("", "resolver-example")
	defer os.RemoveAll(dir)
	res, _ := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName, DSN: "?_pragma=busy_timeout(5000)"},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		MaxPools: 10,
		Logger:   slog.New(slog.DiscardHandler),
	})
	defer res.Close()
	ctx := context.Background()

	for _, id := range []string{"north", "south"} {
		db := tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, id+".db")}, Version: 1}
		if err := res.Set(ctx, id, db); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println(len(res.Tenants()), "tenants")

	// Work on north's pool, then move north: new work uses the new file.
	pool, _ := res.ConnPool(ctx, "north", tenantplugin.AccessWrite)
	_, _ = pool.ExecContext(ctx, "CREATE TABLE t (x int)")
	err := res.Set(ctx, "north", tenantconfig.Database{
		DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, "north-v2.db")}, Version: 2,
	})
	fmt.Println("moved:", err == nil)
	_, err = pool.ExecContext(ctx, "INSERT INTO t VALUES (1)")
	fmt.Println("table on the new database:", err == nil)

	err = res.Set(ctx, "north", tenantconfig.Database{
		DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, "north.db")}, Version: 1,
	})
	fmt.Println(err)
	// Output:
	// 2 tenants
	// moved: true
	// table on the new database: false
	// tenant "north": resolver: stale config version: have 2, got 1
}

// ExampleNew makes a resolver whose limits are the defaults (zero),
// chosen values, or off (-1); other negative values are refused.
func ExampleNew() {
	res, err := resolver.New(resolver.Config{
		Template: resolver.Template{
			Driver: sqlitedriver.DriverName,
			DSN:    "?_pragma=busy_timeout(5000)",
			Pool:   resolver.PoolSettings{MaxOpenConns: 4, ConnMaxIdleTime: -1}, // no idle time limit
		},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		MaxPools: 50, // at most 50 tenant pools open at once
		MaxConns: -1, // no connection budget shared by the pools
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Close()
	fmt.Println("budget:", res.Stats().MaxConns)

	_, err = resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		MaxPools: -2,
	})
	fmt.Println(err)
	// Output:
	// budget: -1
	// resolver: invalid config: MaxPools is -2: want a positive value, 0 for the default or -1 for off
}

// ExampleResolver_Lease gives a tool that needs a *sql.DB (goose,
// golang-migrate, database/sql code) a tenant's database under a lease.
// db.DB() on a *gorm.DB with the plugin would return the central
// database instead.
func ExampleResolver_Lease() {
	dir, _ := os.MkdirTemp("", "resolver-lease")
	defer os.RemoveAll(dir)
	res, _ := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName, DSN: "?_pragma=busy_timeout(5000)"},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   slog.New(slog.DiscardHandler),
	})
	defer res.Close()
	ctx := context.Background()
	_ = res.Set(ctx, "north", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, "north.db")}})

	// The lease ends at Release, or when ctx ends.
	lease, err := res.Lease(ctx, "north")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer lease.Release()
	db := lease.DB() // valid while leased; do not close it
	_, _ = db.ExecContext(ctx, "CREATE TABLE notes (body text)")
	var tables int
	_ = db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'notes'").Scan(&tables)
	fmt.Println(lease.Tenant(), "has", tables, "notes table")

	_, err = res.Lease(ctx, "south")
	fmt.Println(err)
	// Output:
	// north has 1 notes table
	// tenant "south": tenant: unknown tenant
}
