package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// ExampleAutoMigrate migrates hospitals once on the central database and
// patients on every tenant's.
func ExampleAutoMigrate() {
	dir, _ := os.MkdirTemp("", "migrate-example")
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.DiscardHandler)
	db, _ := gorm.Open(sqlite.Open(filepath.Join(dir, "central.db")), &gorm.Config{Logger: logger.Discard})
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	res, _ := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   quiet,
	})
	defer res.Close()
	for _, id := range []string{"north", "south"} {
		_ = res.Set(context.Background(), id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, id+".db")}})
	}
	_ = db.Use(tenantplugin.New(tenantplugin.Config{
		Resolver:   res,
		Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Hospital{})},
		Logger:     quiet,
	}))

	report, err := migrate.AutoMigrate(context.Background(), db, []string{"north", "south"}, []any{&Hospital{}, &Patient{}})
	for _, r := range report.Results {
		if r.Reserved != "" {
			fmt.Println("reserved", r.Reserved, r.Err)
		} else {
			fmt.Println("tenant", r.Tenant, r.Err)
		}
	}
	fmt.Println(err)
	// Output:
	// reserved default <nil>
	// tenant north <nil>
	// tenant south <nil>
	// <nil>
}

// ExampleForEach runs a nightly job on every tenant's database, two
// tenants at a time; the tenant is in the context each call receives.
func ExampleForEach() {
	dir, _ := os.MkdirTemp("", "foreach-example")
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.DiscardHandler)
	db, _ := gorm.Open(sqlite.Open(filepath.Join(dir, "central.db")), &gorm.Config{Logger: logger.Discard})
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	res, _ := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   quiet,
	})
	defer res.Close()
	tenants := []string{"north", "south", "east"}
	for _, id := range tenants {
		_ = res.Set(context.Background(), id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, id+".db")}})
	}
	_ = db.Use(tenantplugin.New(tenantplugin.Config{Resolver: res, Logger: quiet}))

	report, err := migrate.ForEach(context.Background(), db, tenants, func(ctx context.Context, tdb *gorm.DB) error {
		id, _ := tenant.FromContext(ctx)
		if id == "east" {
			return errors.New("report not ready")
		}
		return tdb.Exec("CREATE TABLE nightly_reports (day TEXT)").Error
	}, migrate.WithParallel(2))
	for _, r := range report.Results {
		fmt.Println(r.Tenant, r.Err)
	}
	fmt.Println(err)
	// Output:
	// north <nil>
	// south <nil>
	// east report not ready
	// tenant "east": report not ready
}
