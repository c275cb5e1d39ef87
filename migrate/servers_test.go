package migrate_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// peaks counts how many functions run at once, per server and in all.
type peaks struct {
	mu        sync.Mutex
	now, peak map[string]int
	all, top  int
}

func (p *peaks) run(server string, d time.Duration) {
	p.mu.Lock()
	p.now[server]++
	p.all++
	p.peak[server] = max(p.peak[server], p.now[server])
	p.top = max(p.top, p.all)
	p.mu.Unlock()
	time.Sleep(d)
	p.mu.Lock()
	p.now[server]--
	p.all--
	p.mu.Unlock()
}

// twoServerDB is a *gorm.DB with the plugin over a PostgreSQL resolver
// (no connection is made) with n tenants on each of two servers:
// s1-<i> on 10.0.0.1:5432 and s2-<i> on 10.0.0.2:5432.
func twoServerDB(t *testing.T, cfg resolver.Config, n int) (*gorm.DB, []string) {
	t.Helper()
	cfg.Template = resolver.Template{Driver: pgdriver.DriverName, DSN: "postgres://app@10.0.0.1:5432/central"}
	cfg.Drivers = []dbdriver.Driver{pgdriver.New()}
	cfg.Logger = fixture.Quiet()
	r, err := resolver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	var ids []string
	for i := range n {
		for s, host := range []string{"10.0.0.1", "10.0.0.2"} {
			id := fmt.Sprintf("s%d-%d", s+1, i)
			ds := tenantconfig.DataSource{Host: host, Name: fmt.Sprintf("t%d", i)}
			if err := r.Set(context.Background(), id, tenantconfig.Database{DataSource: ds}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
	}
	// The central database is never reached: no ping, no statement.
	db, err := gorm.Open(postgres.Open(cfg.Template.DSN), &gorm.Config{Logger: logger.Discard, DisableAutomaticPing: true})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	if err := db.Use(tenantplugin.New(tenantplugin.Config{Resolver: r, Logger: fixture.Quiet()})); err != nil {
		t.Fatal(err)
	}
	return db, ids
}

// TestParallelPerServer: tenants run at most so many at once per
// database server, and the servers' tenants at the same time.
func TestParallelPerServer(t *testing.T) {
	for _, tc := range []struct {
		name               string
		cfg                resolver.Config
		opts               []migrate.Option
		perServer, overall int
	}{
		// An eighth of each server's budget of 16: 2 per server.
		{"from the budgets", resolver.Config{MaxConnsPerServer: 16, MaxPools: 40}, nil, 2, 4},
		{"option", resolver.Config{}, []migrate.Option{migrate.WithParallelPerServer(3), migrate.WithParallel(6)}, 3, 6},
		{"one budget", resolver.Config{MaxConns: 32, MaxPools: 40}, nil, 4, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, ids := twoServerDB(t, tc.cfg, 6)
			p := &peaks{now: map[string]int{}, peak: map[string]int{}}
			rep, err := migrate.ForEach(context.Background(), db, ids, func(ctx context.Context, _ *gorm.DB) error {
				id, _ := tenant.FromContext(ctx)
				p.run(id[:2], 40*time.Millisecond)
				return nil
			}, tc.opts...)
			if err != nil || len(rep.Results) != len(ids) {
				t.Fatalf("ForEach: %v, %d results", err, len(rep.Results))
			}
			if p.top != tc.overall {
				t.Errorf("at most %d ran at once, want %d", p.top, tc.overall)
			}
			if tc.name == "one budget" {
				return // not grouped: the servers' shares are not fixed
			}
			for _, s := range []string{"s1", "s2"} {
				if p.peak[s] != tc.perServer {
					t.Errorf("server %s: at most %d at once, want %d", s, p.peak[s], tc.perServer)
				}
			}
		})
	}
	if _, err := migrate.ForEach(context.Background(), nil, nil, nil, migrate.WithParallelPerServer(-1)); err == nil {
		t.Error("WithParallelPerServer(-1) accepted")
	}
}
