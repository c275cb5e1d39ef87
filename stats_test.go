package tenantplugin_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// TestStatsCountRoutedAndRefused sends known traffic and checks the
// plugin's counts: statements by route (the tenant's, or a reserved
// alias, in and out of transactions, through GORM or the router's pool
// directly), and refusals by reason. The tenant and central databases'
// own statement counters say the routed statements were sent there.
func TestStatsCountRoutedAndRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Tenants: 1, Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Plan{})},
			Gorm: gorm.Config{SkipDefaultTransaction: true}})
		must(t, e.DB.WithContext(e.Ctx("t00")).AutoMigrate(&Note{}, &Tag{}))
		must(t, e.DB.AutoMigrate(&Plan{}))
		base := e.Plugin.Stats()
		central, tenantDB := e.Counter.Get(fixture.Central), e.Counter.Get("t00")

		ctx := e.Ctx("t00")
		db := e.DB.WithContext(ctx)
		// 5 statements to the tenant: 3 through GORM, 2 in a transaction.
		must(t, db.Create(&Note{Tenant: "t00", Body: "a"}).Error)
		var notes []Note
		must(t, db.Find(&notes).Error)
		var n int64
		must(t, db.Model(&Note{}).Count(&n).Error)
		must(t, db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&Note{Tenant: "t00", Body: "b"}).Error; err != nil {
				return err
			}
			return tx.Find(&notes).Error
		}))
		// 3 to the reserved default: a strategy's, reserved.Use's, and the
		// router's pool used directly.
		must(t, db.Create(&Plan{Name: "p"}).Error)
		must(t, db.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Raw("SELECT 1").Scan(&n).Error)
		if _, err := e.DB.ConnPool.ExecContext(context.Background(), "UPDATE plans SET name = 'q'"); err != nil {
			t.Fatal(err)
		}
		// Refused: 2 without a tenant, 1 unknown tenant, 1 invalid id, 1
		// crossing databases, 1 transaction begun without a tenant.
		refused := []error{
			e.DB.Find(&notes).Error,
			e.DB.WithContext(context.Background()).Create(&Note{Body: "x"}).Error,
			e.DB.WithContext(e.Ctx("nobody")).Find(&notes).Error,
			e.DB.WithContext(e.Ctx("a/b")).Find(&notes).Error,
			db.Raw("SELECT * FROM notes JOIN plans ON true").Scan(&notes).Error,
			e.DB.Transaction(func(*gorm.DB) error { return nil }),
		}
		for i, want := range []error{tenant.ErrMissing, tenant.ErrMissing, tenant.ErrUnknown, tenant.ErrInvalidID, tenantplugin.ErrCrossDatabase, tenant.ErrMissing} {
			if !errors.Is(refused[i], want) {
				t.Fatalf("refused[%d] = %v, want %v", i, refused[i], want)
			}
		}

		got := e.Plugin.Stats()
		wantRouted := map[tenantplugin.Route]uint64{tenantplugin.TenantRoute(): 5, tenantplugin.ReservedRoute(tenantplugin.DefaultAlias): 3}
		for r, w := range wantRouted {
			if d := got.Routed[r] - base.Routed[r]; d != w {
				t.Errorf("Routed[%s] grew by %d, want %d (stats %+v)", r, d, w, got)
			}
		}
		if len(got.Routed) != 2 {
			t.Errorf("Routed = %v, want the tenant route and the one alias", got.Routed)
		}
		wantRefused := map[tenantplugin.Refusal]uint64{
			tenantplugin.RefusedMissingTenant: 3, tenantplugin.RefusedUnknownTenant: 1,
			tenantplugin.RefusedInvalidTenant: 1, tenantplugin.RefusedCrossDatabase: 1,
		}
		for _, r := range tenantplugin.Refusals() {
			if d := got.Refused[r] - base.Refused[r]; d != wantRefused[r] {
				t.Errorf("Refused[%s] grew by %d, want %d", r, d, wantRefused[r])
			}
		}
		// What was counted as sent was sent: 5 statements and the
		// transaction's BEGIN reached the tenant's database, 3 statements
		// the central one (no implicit transactions), and nothing else.
		if d := e.Counter.Get("t00") - tenantDB; d != 5+1 {
			t.Errorf("tenant database received %d statements, want 5 and a BEGIN (%s)", d, e.Counter)
		}
		if d := e.Counter.Get(fixture.Central) - central; d != 3 {
			t.Errorf("central database received %d statements, want 3 (%s)", d, e.Counter)
		}
	})
}

// TestStatsRefusalReasons: each sentinel error is counted under its own
// reason, the final SQL check's and a foreign transaction's included.
func TestStatsRefusalReasons(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1, Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Plan{})}})
	db := e.DB.WithContext(e.Ctx("t00"))
	must(t, db.AutoMigrate(&Note{}, &Tag{}))
	must(t, e.DB.AutoMigrate(&Plan{}))
	var notes []Note
	tests := []struct {
		name string
		run  func() error
		want tenantplugin.Refusal
		is   error
	}{
		{"unknown alias", func() error { return db.Clauses(reserved.Use("nope")).Find(&notes).Error }, tenantplugin.RefusedUnknownAlias, tenantplugin.ErrUnknownAlias},
		{"unreadable SQL", func() error { return db.Exec("SELECT 'unterminated").Error }, tenantplugin.RefusedUnreadableSQL, tenantplugin.ErrUnreadableSQL},
		{"final SQL check", func() error {
			// A subquery's scope runs when GORM builds the SQL: only the
			// SQL finally sent shows the tenant table.
			var n int64
			sub := e.DB.Model(&Plan{}).Select("id").Scopes(func(d *gorm.DB) *gorm.DB { return d.Table("notes") })
			return db.Model(&Plan{}).Where("id IN (?)", sub).Count(&n).Error
		}, tenantplugin.RefusedCrossDatabase, tenantplugin.ErrCrossDatabase},
		{"pinned central connection", func() error {
			return db.Connection(func(c *gorm.DB) error { return c.Find(&notes).Error })
		}, tenantplugin.RefusedBypassedRouting, tenantplugin.ErrBypassedRouting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.Plugin.Stats().Refused
			if err := tt.run(); !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			after := e.Plugin.Stats().Refused
			for _, r := range tenantplugin.Refusals() {
				want := uint64(0)
				if r == tt.want {
					want = 1
				}
				if d := after[r] - before[r]; d != want {
					t.Errorf("Refused[%s] grew by %d, want %d", r, d, want)
				}
			}
		})
	}
}

// TestStatsPinnedSession: reserved.Use routes when the clause is given
// (so that a Begin that follows is on the alias) and again when each
// statement runs; each statement counts once, in and out of a
// transaction.
func TestStatsPinnedSession(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1, Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Plan{})}})
	must(t, e.DB.AutoMigrate(&Plan{}))
	central := tenantplugin.ReservedRoute(tenantplugin.DefaultAlias)
	before := e.Plugin.Stats().Routed
	pinned := e.DB.WithContext(e.Ctx("t00")).Clauses(reserved.Use(tenantplugin.DefaultAlias))
	var plans []Plan
	must(t, pinned.Find(&plans).Error)
	must(t, pinned.Find(&plans).Error)
	must(t, pinned.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&Plan{Name: "p"}).Error; err != nil {
			return err
		}
		return tx.Find(&plans).Error
	}))
	// reserved.Use given inside a transaction on the alias.
	must(t, e.DB.WithContext(e.Ctx("t00")).Clauses(reserved.Use(tenantplugin.DefaultAlias)).Transaction(func(tx *gorm.DB) error {
		return tx.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Find(&plans).Error
	}))
	// DryRun sends nothing, and counts nothing.
	must(t, pinned.Session(&gorm.Session{DryRun: true}).Find(&plans).Error)
	after := e.Plugin.Stats().Routed
	if d := after[central] - before[central]; d != 5 {
		t.Errorf("Routed[%s] grew by %d, want 5", central, d)
	}
	if d := after[tenantplugin.TenantRoute()] - before[tenantplugin.TenantRoute()]; d != 0 {
		t.Errorf("Routed[tenant] grew by %d, want 0", d)
	}
}

// TestStatsConcurrent: counts from many goroutines at once add up
// (and -race sees no race between counting and reading).
func TestStatsConcurrent(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 2})
	for _, id := range e.Tenants {
		must(t, e.DB.WithContext(e.Ctx(id)).AutoMigrate(&Note{}, &Tag{}))
	}
	base := e.Plugin.Stats().Routed[tenantplugin.TenantRoute()]
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			db := e.DB.WithContext(e.Ctx(e.Tenants[w%2]))
			for range each {
				var n int64
				if err := db.Model(&Note{}).Count(&n).Error; err != nil {
					t.Error(err)
					return
				}
				_ = e.Plugin.Stats()
			}
		})
	}
	wg.Wait()
	if d := e.Plugin.Stats().Routed[tenantplugin.TenantRoute()] - base; d != workers*each {
		t.Fatalf("Routed[tenant] grew by %d, want %d", d, workers*each)
	}
}

// TestPluginOf finds the plugin installed on a *gorm.DB, and only there.
func TestPluginOf(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1})
	if p, ok := tenantplugin.PluginOf(e.DB.WithContext(e.Ctx("t00"))); !ok || p != e.Plugin {
		t.Fatalf("PluginOf = %p, %v; want %p, true", p, ok, e.Plugin)
	}
	plain := fixture.New(t, fixture.SQLite, fixture.Options{NoPlugin: true})
	if p, ok := tenantplugin.PluginOf(plain.DB); ok || p != nil {
		t.Fatalf("PluginOf(no plugin) = %p, %v; want nil, false", p, ok)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
