package migrate_test

import (
	"context"
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
		fmt.Println(r.Tenant, r.Err)
	}
	fmt.Println(err)
	// Output:
	// reserved:default <nil>
	// north <nil>
	// south <nil>
	// <nil>
}
