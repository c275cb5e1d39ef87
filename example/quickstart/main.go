// Command quickstart is the README's quick start: a chi + GORM
// application with one PostgreSQL database per tenant. DATABASE_URL is
// the application's own database, which becomes the central one;
// tenant-1.localhost and tenant-2.localhost live in the databases
// tenant_1 and tenant_2 of the same server.
package main

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Patient lives in each tenant's database.
type Patient struct {
	ID   uint   `json:"id"`
	Name string `json:"name"`
}

// Plan lives in the central database, shared by every tenant.
type Plan struct {
	ID     uint
	Tenant string
	Name   string
}

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	// As before: the application's database, now the central one.
	db, err := gorm.Open(postgres.Open(os.Getenv("DATABASE_URL")), &gorm.Config{})
	if err != nil {
		return err
	}

	// New: tenants, each a database name merged over DATABASE_URL.
	res, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: os.Getenv("DATABASE_URL")},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
	})
	if err != nil {
		return err
	}
	defer res.Close()
	for id, name := range map[string]string{"tenant-1.localhost": "tenant_1", "tenant-2.localhost": "tenant_2"} {
		cfg := tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: name}}
		if err := res.Set(ctx, id, cfg); err != nil {
			return err
		}
	}

	// New: the plugin; Plan stays on the central database.
	plugin := tenantplugin.New(tenantplugin.Config{
		Resolver:   res,
		Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Plan{})},
	})
	if err := db.Use(plugin); err != nil {
		return err
	}
	defer plugin.Close()

	// New: every tenant's database and the central one migrated, each
	// model where the strategies place it.
	if _, err := migrate.AutoMigrate(ctx, db, res.Tenants(), []any{&Patient{}, &Plan{}}); err != nil {
		return err
	}

	// New: the tenant from the request's host, into its context.
	mw, err := tenantchi.Middleware(res)
	if err != nil {
		return err
	}
	router := chi.NewRouter()
	router.Use(mw)

	// Unchanged: handlers pass the request's context to GORM.
	router.Get("/patients", func(w http.ResponseWriter, req *http.Request) {
		var patients []Patient
		if err := db.WithContext(req.Context()).Find(&patients).Error; err != nil {
			log.Printf("patients: %v", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		for _, p := range patients {
			_, _ = w.Write([]byte(p.Name + "\n"))
		}
	})
	return http.ListenAndServe("127.0.0.1:8080", router)
}
