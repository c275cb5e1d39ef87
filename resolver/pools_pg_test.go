package resolver_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestPoolBoundsUnderLoad serves 300 tenants from at most 50 open pools
// under concurrent load: no query fails, every query reaches its own
// tenant's settings, the open-pool cap and the connection budget are
// never exceeded (as the resolver and the server both count), and every
// evicted pool is closed.
func TestPoolBoundsUnderLoad(t *testing.T) {
	tests := []struct {
		name       string
		maxConns   int
		wantBudget bool // the budget must have made connections wait
	}{
		{"pool cap", 60, false},
		{"connection budget", 12, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { poolBounds(t, tt.maxConns, tt.wantBudget) })
	}
}

func poolBounds(t *testing.T, maxConns int, wantBudget bool) {
	admin := testenv.Admin(t)
	const (
		tenants  = 300
		maxPools = 50
		workers  = 16
		perW     = 300
	)
	dbs := testenv.Databases(t, 10)
	r := newResolver(t, resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(t),
			Pool: resolver.PoolSettings{MaxOpenConns: 2, MaxIdleConns: 1}},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
		MaxPools: maxPools,
		MaxConns: maxConns,
		// 300 tenants on 10 databases.
		AllowSharedDatabases: true,
	})
	prefix := fmt.Sprintf("pb%d", time.Now().UnixNano()%1e6)
	ids := make([]string, tenants)
	ctx := context.Background()
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%03d", prefix, i)
		cfg := tenantconfig.Database{DataSource: tenantconfig.DataSource{
			Name: dbs[i%len(dbs)], Params: map[string]string{"application_name": ids[i]},
		}}
		if err := r.Set(ctx, ids[i], cfg); err != nil {
			t.Fatal(err)
		}
	}
	db := gormWith(t, "postgres", testenv.PostgresURL(t), r)

	var maxOpen, maxServer, maxConnsSeen atomic.Int64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			st := r.Stats()
			if int64(st.OpenPools) > maxOpen.Load() {
				maxOpen.Store(int64(st.OpenPools))
			}
			if int64(st.ConnsInUse) > maxConnsSeen.Load() {
				maxConnsSeen.Store(int64(st.ConnsInUse))
			}
			var n int64
			if err := admin.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1", prefix+"-%").Scan(&n); err == nil && n > maxServer.Load() {
				maxServer.Store(n)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()

	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for range perW {
				id := ids[rng.IntN(tenants)]
				qctx, cancel := context.WithTimeout(tctx(id), 20*time.Second)
				var app string
				err := db.WithContext(qctx).Raw("SELECT current_setting('application_name')").Scan(&app).Error
				cancel()
				if err != nil {
					errc <- fmt.Errorf("tenant %s: %w", id, err)
					return
				}
				if app != id {
					errc <- fmt.Errorf("tenant %s reached %s's pool", id, app)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	sampler.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	st := r.Stats()
	t.Logf("opened %d, closed %d, evicted %d, open now %d (max seen %d), connections max seen %d (by the server %d), budget waits %d",
		st.Opened, st.Closed, st.Evicted, st.OpenPools, maxOpen.Load(), maxConnsSeen.Load(), maxServer.Load(), st.BudgetWaits)
	if maxOpen.Load() > maxPools {
		t.Errorf("%d pools open at once, cap %d", maxOpen.Load(), maxPools)
	}
	if maxConnsSeen.Load() > int64(maxConns) {
		t.Errorf("%d connections open at once, budget %d", maxConnsSeen.Load(), maxConns)
	}
	// The server lists a backend until its process exits, a moment after
	// the client closed the connection: allow two such stragglers.
	if maxServer.Load() > int64(maxConns)+2 {
		t.Errorf("server saw %d connections, budget %d", maxServer.Load(), maxConns)
	}
	if wantBudget && st.BudgetWaits == 0 {
		t.Error("no connection waited for the budget: the test did not exercise it")
	}
	if st.Evicted == 0 {
		t.Error("no pool was evicted: the test did not exercise the cap")
	}
	if st.Opened-st.Closed != uint64(st.OpenPools) {
		t.Errorf("opened %d - closed %d != open %d", st.Opened, st.Closed, st.OpenPools)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// Every pool is closed: the server has no connection of these tenants left.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int64
		if err := admin.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1", prefix+"-%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections left after Close", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
