package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"

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
// patients on every tenant's. A second run finds every database's ledger
// up to date and changes nothing; Check then lists a tenant added since.
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

	ctx := context.Background()
	models := []any{&Hospital{}, &Patient{}}
	report, err := migrate.AutoMigrate(ctx, db, []string{"north", "south"}, models)
	for _, r := range report.Results {
		if r.Reserved != "" {
			fmt.Println("reserved", r.Reserved, r.Status, r.Err)
		} else {
			fmt.Println("tenant", r.Tenant, r.Status, r.Err)
		}
	}
	fmt.Println(err)

	// Again, one database at a time, with a line per database as it
	// finishes.
	_, err = migrate.AutoMigrate(ctx, db, []string{"north", "south"}, models, migrate.WithParallel(1), migrate.WithProgress(func(r migrate.Result) {
		fmt.Printf("%s%s: %s\n", r.Reserved, r.Tenant, r.Status)
	}))
	fmt.Println(err)

	_ = res.Set(ctx, "west", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, "west.db")}})
	report, err = migrate.Check(ctx, db, []string{"north", "south", "west"}, migrate.Models(models...))
	for _, r := range report.Behind() {
		fmt.Println("behind:", r.Tenant)
	}
	fmt.Println(err)
	// Output:
	// reserved default migrated <nil>
	// tenant north migrated <nil>
	// tenant south migrated <nil>
	// <nil>
	// default: up to date
	// north: up to date
	// south: up to date
	// <nil>
	// behind: west
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

// ExampleApply migrates the models, applies two goose migrations, then
// seeds each tenant once: a Sequence of steps on every tenant's
// database. Each step keeps its own row in the ledger.
func ExampleApply() {
	dir, _ := os.MkdirTemp("", "apply-example")
	defer os.RemoveAll(dir)
	db, _ := gorm.Open(sqlite.Open(filepath.Join(dir, "central.db")), &gorm.Config{Logger: logger.Discard})
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	res, _ := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   slog.New(slog.DiscardHandler),
	})
	defer res.Close()
	tenants := []string{"north", "south"}
	for _, id := range tenants {
		_ = res.Set(context.Background(), id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, id+".db")}})
	}
	_ = db.Use(tenantplugin.New(tenantplugin.Config{Resolver: res, Logger: slog.New(slog.DiscardHandler)}))

	migrations := fstest.MapFS{
		"00001_wards.sql": {Data: []byte("-- +goose Up\nCREATE TABLE wards (id INTEGER PRIMARY KEY, name TEXT);\n")},
		"00002_beds.sql":  {Data: []byte("-- +goose Up\nCREATE TABLE beds (id INTEGER PRIMARY KEY, ward_id INTEGER REFERENCES wards (id));\n")},
	}
	steps := migrate.Sequence(
		migrate.Models(&Patient{}),
		migrate.Goose(migrations),
		migrate.Func("seed-wards", "1", func(ctx context.Context, tx *gorm.DB) error {
			return tx.Exec("INSERT INTO wards (name) VALUES ('Emergency')").Error
		}),
	)
	for range 2 {
		report, err := migrate.Apply(context.Background(), db, tenants, steps, migrate.WithParallel(1))
		for _, r := range report.Results {
			fmt.Println(strings.TrimSpace(r.Tenant + " " + r.Status.String() + " " + r.Detail))
		}
		fmt.Println(err)
	}
	// Output:
	// north migrated goose version 2 of 2
	// south migrated goose version 2 of 2
	// <nil>
	// north up to date
	// south up to date
	// <nil>
}
