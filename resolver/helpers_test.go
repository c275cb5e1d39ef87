package resolver_test

import (
	"context"
	"testing"

	"github.com/glebarez/sqlite"
	"go.uber.org/goleak"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(testenv.WithPgBouncer(m),
		// GORM's own statement cache (made for sessions with PrepareStmt,
		// never used by the plugin) starts a cleanup goroutine it never
		// stops.
		goleak.IgnoreAnyFunction("gorm.io/gorm/internal/lru.NewLRU[...].func1"))
}

// newResolver returns a resolver closed when the test ends.
func newResolver(t *testing.T, cfg resolver.Config) *resolver.Resolver {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = fixture.Quiet()
	}
	r, err := resolver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// gormWith opens a *gorm.DB on dsn with the plugin over r.
func gormWith(t *testing.T, driver, dsn string, r *resolver.Resolver) *gorm.DB {
	t.Helper()
	d := postgres.Open(dsn)
	if driver == "sqlite" {
		d = sqlite.Open(dsn)
	}
	db, err := gorm.Open(d, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Use(tenantplugin.New(tenantplugin.Config{Resolver: r, Logger: fixture.Quiet()})); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return db
}

func tctx(id string) context.Context { return tenant.NewContext(context.Background(), id) }
