package resolver_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestRedTeamMemoBudgetSharedContexts is TestBudgetNeverStalls with the
// workers sharing one context per tenant, so that nearly every query
// finds its pool through the context's memo, and with few pool slots
// too, so that pools are evicted under the memo while the budget's
// waiters depend on idle pools to wake them (Resolver.idleWaiters).
// Every query must finish, on its tenant's database, with no pause
// longer than two seconds, and the server must never hold more sessions
// than the budget. Without a budget (MaxConns -1, whose connections have
// no reuse hook) nothing stalls either.
func TestRedTeamMemoBudgetSharedContexts(t *testing.T) {
	tests := []struct {
		tenants, maxConns, maxPools int
		workers, queries            int
	}{
		{6, 2, 0, 12, 400},
		{6, 2, 2, 12, 400},
		{6, 3, 1, 12, 300},
		{6, -1, 2, 12, 400},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d tenants, budget %d, MaxPools %d", tt.tenants, tt.maxConns, tt.maxPools), func(t *testing.T) {
			admin := testenv.Admin(t)
			dbs := testenv.Databases(t, tt.tenants)
			r := newResolver(t, resolver.Config{
				Template: resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(t)},
				Drivers:  []dbdriver.Driver{pgdriver.New()},
				MaxConns: tt.maxConns,
				MaxPools: tt.maxPools,
				Logger:   fixture.Quiet(),
			})
			ids := make([]string, len(dbs))
			byID := make(map[string]string, len(dbs))
			for i, db := range dbs {
				ids[i] = fmt.Sprintf("t%d", i)
				byID[ids[i]] = db
				if err := r.Set(context.Background(), ids[i], tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: db}}); err != nil {
					t.Fatal(err)
				}
			}
			res := budgetLoad{
				r: r, ids: ids, workers: tt.workers, queries: tt.queries,
				query: "SELECT pg_sleep(0.005)", count: backends(admin, dbs), stall: 2 * time.Second,
				shared: true, dbs: byID,
			}.run(t)
			st := r.Stats()
			t.Logf("%d queries in %v, longest pause %v, server sessions max %d, budget waits %d, pools evicted %d",
				res.done, res.elapsed.Round(time.Millisecond), res.maxGap.Round(time.Millisecond),
				res.maxCount, st.BudgetWaits, st.Evicted)
			for _, err := range res.failed {
				t.Error(err)
			}
			if !res.stalled && res.done != int64(tt.queries) {
				t.Errorf("%d of %d queries done", res.done, tt.queries)
			}
			if tt.maxConns > 0 {
				if res.maxCount > tt.maxConns {
					t.Errorf("the server had %d sessions on the tenants' databases, budget %d", res.maxCount, tt.maxConns)
				}
				if st.BudgetWaits == 0 {
					t.Error("no connection waited for the budget: the test did not exercise it")
				}
			}
			if tt.maxPools > 0 && st.Evicted == 0 {
				t.Error("no pool was evicted: the test did not exercise MaxPools")
			}
		})
	}
}
