package tenantplugin_test

import (
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
)

// Red-team findings about raw SQL and the names strategies know tables
// by: each must route to the right database, or fail with
// ErrCrossDatabase before anything is sent.

// TestRedteamNamingStrategyHidesReservedTables: reserved.Models names a
// model's table with GORM's default naming, whatever the *gorm.DB's
// NamingStrategy. With a TablePrefix, raw SQL on the real (prefixed)
// central table goes to the tenant, and a statement mixing it with a
// tenant table is not refused. Expected: the central table is recognised
// as the *gorm.DB names it.
func TestRedteamNamingStrategyHidesReservedTables(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1,
		Gorm:       gorm.Config{NamingStrategy: schema.NamingStrategy{TablePrefix: "app_"}},
		Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &AuditLog{})}})
	if err := e.DB.AutoMigrate(&AuditLog{}); err != nil { // central, by model type
		t.Fatal(err)
	}
	db := e.DB.WithContext(e.Ctx(e.Tenants[0]))
	if err := db.AutoMigrate(&Note{}); err != nil {
		t.Fatal(err)
	}
	t.Run("central table", func(t *testing.T) {
		d, err := sent(e, func() error {
			var n int64
			return db.Raw("SELECT count(*) FROM app_audit_logs").Scan(&n).Error
		})
		if err != nil || d[fixture.Central] == 0 || len(d) != 1 {
			t.Errorf("err = %v, sent %v; want it on the central database only", err, d)
		}
	})
	t.Run("mix", func(t *testing.T) {
		d, err := sent(e, func() error {
			var n int64
			return db.Raw("SELECT count(*) FROM app_notes, app_audit_logs").Scan(&n).Error
		})
		wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
	})
}

// TestRedteamRouterDirectPathIgnoresText: the *gorm.DB's ConnPool (the
// plugin's router) is a database/sql-like pool that code outside GORM's
// callbacks may be handed (sqlc-style DBTX: ExecContext, QueryContext,
// QueryRowContext). It has the SQL text but routes by the context only:
// a statement on a central table goes to the tenant, and one mixing
// central and tenant tables is not refused. Expected: the text is read
// as for Raw and Exec (or such calls are refused, as PrepareContext is).
func TestRedteamRouterDirectPathIgnoresText(t *testing.T) {
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 1})
	ctx := e.Ctx(e.Tenants[0])
	pool := e.DB.ConnPool
	t.Run("central table", func(t *testing.T) {
		d, err := sent(e, func() error {
			var n int64
			return pool.QueryRowContext(ctx, "SELECT count(*) FROM audit_logs").Scan(&n)
		})
		if d[e.Tenants[0]] != 0 {
			t.Errorf("err = %v, sent %v: a statement on a central table reached the tenant", err, d)
		}
	})
	t.Run("mix", func(t *testing.T) {
		d, err := sent(e, func() error {
			_, err := pool.ExecContext(ctx, "INSERT INTO audit_logs (body) SELECT body FROM notes")
			return err
		})
		wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
	})
}
