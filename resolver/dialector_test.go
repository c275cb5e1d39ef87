package resolver_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/drvwrap"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/memdriver"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// genDriver is a DialectorDriver on the in-memory driver that counts
// statements by generation: 0 before UseDialector, 1 after. Once armed,
// a generation-0 Connector call signals entered and waits for release.
type genDriver struct {
	gen     int
	hits    *[2]atomic.Int64
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func newGenDriver() *genDriver {
	return &genDriver{hits: new([2]atomic.Int64), entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *genDriver) Name() string { return "memory" }

func (g *genDriver) Connector(string, tenantconfig.DataSource) (driver.Connector, error) {
	if g.gen == 0 && g.armed.CompareAndSwap(true, false) {
		close(g.entered)
		<-g.release
	}
	hits := &g.hits[g.gen]
	return drvwrap.Connector(memdriver.Connector{}, drvwrap.Hooks{Statement: func(string) { hits.Add(1) }}), nil
}

func (g *genDriver) WithDialector(d gorm.Dialector) (resolver.DialectorDriver, error) {
	if d.Name() != "postgres" {
		return nil, errors.New("gen: not postgres")
	}
	if g.gen == 1 {
		return g, nil
	}
	return &genDriver{gen: 1, hits: g.hits}, nil
}

func query(t *testing.T, r *resolver.Resolver, id string) {
	t.Helper()
	p, err := r.ConnPool(context.Background(), id, tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := p.QueryContext(context.Background(), "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	_ = rows.Close()
}

// TestUseDialectorRetiresOpenPools opens a pool, configures the driver
// from a dialector, and checks that the next statement runs on a pool
// the configured driver built.
func TestUseDialectorRetiresOpenPools(t *testing.T) {
	g := newGenDriver()
	r := newResolver(t, resolver.Config{Template: resolver.Template{Driver: "memory"}, Drivers: []dbdriver.Driver{g}})
	if err := r.Set(context.Background(), "a", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: "a"}}); err != nil {
		t.Fatal(err)
	}
	query(t, r, "a")
	if err := r.UseDialector(postgres.Open("")); err != nil {
		t.Fatal(err)
	}
	before := g.hits[0].Load()
	query(t, r, "a")
	if g.hits[0].Load() != before || g.hits[1].Load() == 0 {
		t.Fatalf("statements: old settings %d (was %d), new %d", g.hits[0].Load(), before, g.hits[1].Load())
	}
	if st := r.Stats(); st.Opened != 2 {
		t.Fatalf("opened %d pools, want 2 (the old one retired)", st.Opened)
	}
}

// TestUseDialectorWhilePoolOpens holds a pool's construction inside the
// old driver's Connector while UseDialector runs: the pool that comes out
// must be built by the new driver.
func TestUseDialectorWhilePoolOpens(t *testing.T) {
	g := newGenDriver()
	r := newResolver(t, resolver.Config{Template: resolver.Template{Driver: "memory"}, Drivers: []dbdriver.Driver{g}})
	if err := r.Set(context.Background(), "a", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: "a"}}); err != nil {
		t.Fatal(err)
	}
	g.armed.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := r.ConnPool(context.Background(), "a", tenantplugin.AccessWrite)
		done <- err
	}()
	<-g.entered
	if err := r.UseDialector(postgres.Open("")); err != nil {
		t.Fatal(err)
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	query(t, r, "a")
	if g.hits[0].Load() != 0 || g.hits[1].Load() == 0 {
		t.Fatalf("statements: old settings %d, new %d", g.hits[0].Load(), g.hits[1].Load())
	}
}

func TestUseDialectorTwice(t *testing.T) {
	g := newGenDriver()
	r := newResolver(t, resolver.Config{Template: resolver.Template{Driver: "memory"}, Drivers: []dbdriver.Driver{g}})
	if err := r.UseDialector(postgres.Open("")); err != nil {
		t.Fatal(err)
	}
	if err := r.UseDialector(postgres.Open("")); err != nil {
		t.Fatalf("same settings: %v", err)
	}
	if err := r.UseDialector(sqlite.Open("x.db")); !errors.Is(err, resolver.ErrDialectorMismatch) {
		t.Fatalf("other settings: err = %v, want ErrDialectorMismatch", err)
	}
	if err := r.UseDialector(nil); !errors.Is(err, resolver.ErrInvalidConfig) {
		t.Fatalf("nil dialector: err = %v", err)
	}
}

// TestUseDialectorWithPgdriver gives pgdriver a dialector it cannot
// honour (refused, nothing changed), then equal settings (a no-op) and
// different ones (an error).
func TestUseDialectorWithPgdriver(t *testing.T) {
	r := newResolver(t, resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: "postgres://app@db.internal/app"},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
	})
	err := r.UseDialector(postgres.New(postgres.Config{DriverName: "cloudsqlpostgres"}))
	if !errors.Is(err, resolver.ErrInvalidConfig) || !strings.Contains(err.Error(), `"cloudsqlpostgres"`) {
		t.Fatalf("foreign database/sql driver: err = %v", err)
	}
	if err := r.UseDialector(postgres.New(postgres.Config{DSN: "x", PreferSimpleProtocol: true})); err != nil {
		t.Fatal(err)
	}
	if err := r.UseDialector(postgres.New(postgres.Config{DSN: "y", PreferSimpleProtocol: true})); err != nil {
		t.Fatalf("equal settings: %v", err)
	}
	err = r.UseDialector(postgres.New(postgres.Config{DSN: "x"}))
	if !errors.Is(err, resolver.ErrDialectorMismatch) || !strings.Contains(err.Error(), "PreferSimpleProtocol") {
		t.Fatalf("different settings: err = %v", err)
	}
}

// TestUseDialectorRefusedAtUse installs the plugin on a *gorm.DB whose
// dialect the resolver's driver does not speak: db.Use fails and names
// it.
func TestUseDialectorRefusedAtUse(t *testing.T) {
	tests := []struct {
		name string
		drv  dbdriver.Driver
		d    gorm.Dialector
		want string // "" when accepted
	}{
		{"sqlite app, pgdriver", pgdriver.New(), sqlite.Open(filepath.Join(t.TempDir(), "c.db")), "*sqlite.Dialector"},
		{"sqlite app, sqlitedriver", sqlitedriver.New(), sqlite.Open(filepath.Join(t.TempDir(), "c.db")), ""},
		{"custom driver", customDriver{pgdriver.New()}, sqlite.Open(filepath.Join(t.TempDir(), "c.db")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newResolver(t, resolver.Config{Template: resolver.Template{Driver: tt.drv.Name()}, Drivers: []dbdriver.Driver{tt.drv}})
			db, err := gorm.Open(tt.d, &gorm.Config{Logger: logger.Discard, DisableAutomaticPing: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if sqlDB, err := db.DB(); err == nil {
					_ = sqlDB.Close()
				}
			})
			err = db.Use(tenantplugin.New(tenantplugin.Config{Resolver: r, Logger: fixture.Quiet()}))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "tenantplugin: ") ||
				!errors.Is(err, resolver.ErrInvalidConfig) {
				t.Fatalf("db.Use: err = %v, want a tenantplugin error naming %s", err, tt.want)
			}
		})
	}
}

// customDriver hides pgdriver's WithDialector: the resolver leaves it
// as it is.
type customDriver struct{ dbdriver.Driver }
