package resolver_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

func sqliteConfig() resolver.Config {
	return resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName, DSN: "x.db?_pragma=busy_timeout(5000)"},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
	}
}

func file(t *testing.T, name string) tenantconfig.Database {
	return tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(t.TempDir(), name)}}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  resolver.Config
		want string
	}{
		{"no driver", resolver.Config{}, "Template.Driver"},
		{"driver missing", resolver.Config{Template: resolver.Template{Driver: "postgres"}, Drivers: []dbdriver.Driver{sqlitedriver.New()}}, "not among Drivers"},
		{"nil driver", resolver.Config{Template: resolver.Template{Driver: "sqlite"}, Drivers: []dbdriver.Driver{nil}}, "Drivers[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolver.New(tt.cfg)
			if !errors.Is(err, resolver.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalidConfig naming %s", err, tt.want)
			}
		})
	}
}

func TestSetRejectsBadInputAndChangesNothing(t *testing.T) {
	r := newResolver(t, sqliteConfig())
	ctx := context.Background()
	good := file(t, "good.db")
	if err := r.Set(ctx, "acme", tenantconfig.Database{DataSource: good.DataSource, Version: 5}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   string
		cfg  tenantconfig.Database
		want error
	}{
		{"empty id", "", good, tenant.ErrInvalidID},
		{"long id", strings.Repeat("a", 129), good, tenant.ErrInvalidID},
		{"dotdot id", "a..b", good, tenant.ErrInvalidID},
		{"backslash id", `a\b`, good, tenant.ErrInvalidID},
		{"control id", "a\x00", good, tenant.ErrInvalidID},
		{"empty config", "acme", tenantconfig.Database{Version: 6}, resolver.ErrInvalidConfig},
		{"other driver", "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Driver: "postgres", DSN: "x"}, Version: 6}, resolver.ErrInvalidConfig},
		{"sqlite with host", "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: "x.db", Host: "h"}, Version: 6}, resolver.ErrInvalidConfig},
		{"stale version", "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: "other.db"}, Version: 4}, resolver.ErrStaleConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := r.Set(ctx, tt.id, tt.cfg); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			cfg, ok := r.Database("acme")
			if !ok || cfg.Version != 5 || cfg.Name != good.Name {
				t.Fatalf("config changed: %+v", cfg)
			}
			if len(r.Tenants()) != 1 {
				t.Fatalf("tenants = %v", r.Tenants())
			}
		})
	}
}

func TestRemoveThenUnknown(t *testing.T) {
	r := newResolver(t, sqliteConfig())
	ctx := context.Background()
	if err := r.Set(ctx, "acme", file(t, "a.db")); err != nil {
		t.Fatal(err)
	}
	pool, err := r.ConnPool(tctx("acme"), "acme", tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Remove(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ConnPool(ctx, "acme", tenantplugin.AccessWrite); !errors.Is(err, tenant.ErrUnknown) {
		t.Fatalf("ConnPool after Remove: %v", err)
	}
	// A pool handed out before the removal refuses new work too.
	if _, err := pool.ExecContext(ctx, "SELECT 1"); !errors.Is(err, tenant.ErrUnknown) {
		t.Fatalf("old handle after Remove: %v", err)
	}
	if err := r.Remove(ctx, "acme"); !errors.Is(err, tenant.ErrUnknown) {
		t.Fatalf("second Remove: %v", err)
	}
}

func TestIdlePoolsClose(t *testing.T) {
	cfg := sqliteConfig()
	cfg.IdleTimeout = 40 * time.Millisecond
	r := newResolver(t, cfg)
	ctx := context.Background()
	if err := r.Set(ctx, "acme", file(t, "a.db")); err != nil {
		t.Fatal(err)
	}
	pool, err := r.ConnPool(ctx, "acme", tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for r.Stats().Closed == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("idle pool not closed: %+v", r.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The handle still works: it reopens the tenant's pool.
	if _, err := pool.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatalf("after idle close: %v", err)
	}
	if st := r.Stats(); st.Opened != 2 || st.Evicted == 0 {
		t.Fatalf("stats = %+v", st)
	}
}

// TestBudgetTakesIdleConnections: with a budget of one connection,
// tenants used in turn take the connection slot from each other's idle
// pools, which stay open.
func TestBudgetTakesIdleConnections(t *testing.T) {
	cfg := sqliteConfig()
	cfg.MaxConns = 1
	r := newResolver(t, cfg)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		if err := r.Set(ctx, id, file(t, id+".db")); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		for _, id := range []string{"a", "b", "c"} {
			pool, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
			if err != nil {
				t.Fatal(err)
			}
			qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err = pool.ExecContext(qctx, "SELECT 1")
			cancel()
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			if n := r.Stats().ConnsInUse; n > 1 {
				t.Fatalf("%d connections with a budget of 1", n)
			}
		}
	}
	if st := r.Stats(); st.BudgetWaits == 0 || st.Evicted != 0 || st.OpenPools != 3 {
		t.Fatalf("budget never pressed, or pools closed: %+v", st)
	}
}

func TestPoolsExhaustedHonoursContext(t *testing.T) {
	cfg := sqliteConfig()
	cfg.MaxPools = 1
	r := newResolver(t, cfg)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := r.Set(ctx, id, file(t, id+".db")); err != nil {
			t.Fatal(err)
		}
	}
	db := gormWith(t, "sqlite", filepath.Join(t.TempDir(), "central.db"), r)
	tx := db.WithContext(tctx("a")).Begin() // holds a's pool
	if tx.Error != nil {
		t.Fatal(tx.Error)
	}
	qctx, cancel := context.WithTimeout(tctx("b"), 100*time.Millisecond)
	defer cancel()
	var one int
	err := db.WithContext(qctx).Raw("SELECT 1").Scan(&one).Error
	if !errors.Is(err, resolver.ErrPoolsExhausted) {
		t.Fatalf("err = %v, want ErrPoolsExhausted", err)
	}
	tx.Rollback()
	if err := db.WithContext(tctx("b")).Raw("SELECT 1").Scan(&one).Error; err != nil {
		t.Fatalf("after release: %v", err)
	}
}

type Row struct {
	ID   uint
	Name string
}

// TestReplicas sends reads to the replica and writes and transactions to
// the primary; dbresolver.Write sends a read to the primary.
func TestReplicas(t *testing.T) {
	dir := t.TempDir()
	cfg := sqliteConfig()
	cfg.AllowSharedDatabases = true // tenants primary and replica seed and read acme's files
	r := newResolver(t, cfg)
	ctx := context.Background()
	primary := tenantconfig.DataSource{Name: filepath.Join(dir, "primary.db")}
	replica := tenantconfig.DataSource{Name: filepath.Join(dir, "replica.db")}
	// Seed each file with a row naming it.
	for name, c := range map[string]tenantconfig.DataSource{"primary": primary, "replica": replica} {
		if err := r.Set(ctx, name, tenantconfig.Database{DataSource: c}); err != nil {
			t.Fatal(err)
		}
	}
	db := gormWith(t, "sqlite", filepath.Join(dir, "central.db"), r)
	for _, name := range []string{"primary", "replica"} {
		tdb := db.WithContext(tctx(name))
		if err := tdb.AutoMigrate(&Row{}); err != nil {
			t.Fatal(err)
		}
		if err := tdb.Create(&Row{Name: name}).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Set(ctx, "acme", tenantconfig.Database{DataSource: primary, Replicas: []tenantconfig.DataSource{replica}}); err != nil {
		t.Fatal(err)
	}
	acme := db.WithContext(tctx("acme"))
	read := func(db *gorm.DB) string {
		var row Row
		if err := db.Order("id").First(&row).Error; err != nil {
			t.Fatal(err)
		}
		return row.Name
	}
	if got := read(acme); got != "replica" {
		t.Errorf("read went to %s, want replica", got)
	}
	if got := read(acme.Clauses(dbresolver.Write)); got != "primary" {
		t.Errorf("read with dbresolver.Write went to %s, want primary", got)
	}
	if err := acme.Create(&Row{Name: "written"}).Error; err != nil {
		t.Fatal(err)
	}
	var n int64
	db.WithContext(tctx("primary")).Model(&Row{}).Where("name = ?", "written").Count(&n)
	if n != 1 {
		t.Errorf("write did not reach the primary")
	}
	_ = acme.Transaction(func(tx *gorm.DB) error {
		if got := read(tx); got != "primary" {
			t.Errorf("read in a transaction went to %s, want primary", got)
		}
		return nil
	})
}

// TestCloseIsIdempotent: a second Close returns nil, while every other
// method keeps answering ErrClosed.
func TestCloseIsIdempotent(t *testing.T) {
	r := newResolver(t, sqliteConfig())
	ctx := context.Background()
	if err := r.Set(ctx, "acme", file(t, "a.db")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ConnPool(ctx, "acme", tenantplugin.AccessWrite); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v, want nil", err)
	}
	calls := map[string]error{
		"Set": r.Set(ctx, "other", file(t, "b.db")),
		"ConnPool": func() error {
			_, err := r.ConnPool(ctx, "acme", tenantplugin.AccessWrite)
			return err
		}(),
		"Lease": func() error {
			_, err := r.Lease(ctx, "acme")
			return err
		}(),
		"UseDialector": r.UseDialector(sqlite.Open("x.db")),
	}
	for name, err := range calls {
		if !errors.Is(err, resolver.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}
