package resolver_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"gorm.io/plugin/dbresolver"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestPolicyConcurrentReads reads through a tenant's replicas from
// several goroutines at once, with the default policy and with one
// documented as safe: run under -race, it shows Config.Policy is called
// concurrently, and every read lands on a replica, each of them used.
func TestPolicyConcurrentReads(t *testing.T) {
	tests := []struct {
		name   string
		policy dbresolver.Policy
	}{
		{"default", nil},
		{"strict round robin", dbresolver.StrictRoundRobinPolicy()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := sqliteConfig()
			cfg.Policy = tt.policy
			r := newResolver(t, cfg)
			ctx := context.Background()
			dir := t.TempDir()
			names := []string{"primary", "replica1", "replica2"}
			sources := make([]tenantconfig.DataSource, len(names))
			for i, name := range names {
				sources[i] = tenantconfig.DataSource{Name: filepath.Join(dir, name+".db")}
				seed(t, r, name, sources[i])
			}
			if err := r.Set(ctx, "acme", tenantconfig.Database{DataSource: sources[0], Replicas: sources[1:]}); err != nil {
				t.Fatal(err)
			}
			const readers, reads = 8, 50
			var mu sync.Mutex
			seen := make(map[string]int)
			var wg sync.WaitGroup
			errs := make(chan error, readers)
			for g := range readers {
				access := tenantplugin.AccessRead
				if g%2 == 1 {
					access |= tenantplugin.AccessPrepared
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					pool, err := r.ConnPool(ctx, "acme", access)
					if err != nil {
						errs <- err
						return
					}
					for range reads {
						var name string
						if err := pool.QueryRowContext(ctx, "SELECT name FROM origin").Scan(&name); err != nil {
							errs <- err
							return
						}
						mu.Lock()
						seen[name]++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if seen["primary"] != 0 || seen["replica1"] == 0 || seen["replica2"] == 0 || seen["replica1"]+seen["replica2"] != readers*reads {
				t.Fatalf("reads by database: %v, want all on the replicas, each used", seen)
			}
		})
	}
}

// seed registers a tenant on src, writes a row naming it, and removes
// the tenant.
func seed(t *testing.T, r *resolver.Resolver, name string, src tenantconfig.DataSource) {
	t.Helper()
	ctx := context.Background()
	if err := r.Set(ctx, name, tenantconfig.Database{DataSource: src}); err != nil {
		t.Fatal(err)
	}
	pool, err := r.ConnPool(ctx, name, tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE TABLE origin (name text)", "INSERT INTO origin VALUES ('" + name + "')"} {
		if _, err := pool.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Remove(ctx, name); err != nil {
		t.Fatal(err)
	}
}
