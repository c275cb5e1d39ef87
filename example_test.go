package tenantplugin_test

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
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

type Patient struct {
	ID   uint
	Name string
}

type Hospital struct {
	ID   uint
	Name string
}

// ExampleNew shows the lines a single-tenant application changes: open
// the *gorm.DB as before, install the plugin, and put the tenant in the
// context.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "tenantplugin-example")
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.DiscardHandler)

	// As before: the application's own database.
	db, _ := gorm.Open(sqlite.Open(filepath.Join(dir, "central.db")), &gorm.Config{Logger: logger.Discard})
	sqlDB, _ := db.DB()
	defer sqlDB.Close()

	// New: tenants and the plugin.
	res, _ := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   quiet,
	})
	defer res.Close()
	for _, id := range []string{"north", "south"} {
		_ = res.Set(context.Background(), id, tenantconfig.Database{
			DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, id+".db")},
		})
	}
	_ = db.Use(tenantplugin.New(tenantplugin.Config{Resolver: res, Logger: quiet}))

	for _, id := range []string{"north", "south"} {
		ctx := tenant.NewContext(context.Background(), id)
		_ = db.WithContext(ctx).AutoMigrate(&Patient{})
		_ = db.WithContext(ctx).Create(&Patient{Name: "patient of " + id})
	}
	var p Patient
	db.WithContext(tenant.NewContext(context.Background(), "south")).First(&p)
	fmt.Println(p.Name)

	err := db.First(&p).Error // no tenant
	fmt.Println(errors.Is(err, tenant.ErrMissing))
	// Output:
	// patient of south
	// true
}

// ExampleConfig_strategies keeps a central model on the database the
// *gorm.DB was opened with, for every tenant.
func ExampleConfig_strategies() {
	dir, _ := os.MkdirTemp("", "tenantplugin-example")
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
	_ = res.Set(context.Background(), "north", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, "north.db")}})
	_ = db.Use(tenantplugin.New(tenantplugin.Config{
		Resolver:   res,
		Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Hospital{})},
		Logger:     quiet,
	}))

	_ = db.Clauses(reserved.Use(tenantplugin.DefaultAlias)).AutoMigrate(&Hospital{})
	ctx := tenant.NewContext(context.Background(), "north")
	_ = db.WithContext(ctx).AutoMigrate(&Patient{})

	// Hospitals go to the central database, patients to north's.
	_ = db.WithContext(ctx).Create(&Hospital{Name: "St. Mary"})
	_ = db.WithContext(ctx).Create(&Patient{Name: "Ada"})

	var h Hospital
	db.First(&h) // a central model needs no tenant
	fmt.Println(h.Name)

	// A transaction stays on one database.
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return tx.Create(&Hospital{Name: "General"}).Error
	})
	fmt.Println(errors.Is(err, tenantplugin.ErrCrossDatabase))
	// Output:
	// St. Mary
	// true
}
