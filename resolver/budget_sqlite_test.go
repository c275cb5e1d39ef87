package resolver_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestBudgetNeverStallsSQLite is TestBudgetNeverStalls on SQLite, where
// the budget's own count is the only one: it must never pass MaxConns.
func TestBudgetNeverStallsSQLite(t *testing.T) {
	const (
		tenants, maxConns = 4, 4
		workers, queries  = 16, 800
	)
	cfg := sqliteConfig()
	cfg.MaxConns = maxConns
	r := newResolver(t, cfg)
	ids := make([]string, tenants)
	for i := range ids {
		ids[i] = fmt.Sprintf("t%d", i)
		if err := r.Set(context.Background(), ids[i], file(t, ids[i]+".db")); err != nil {
			t.Fatal(err)
		}
	}
	res := budgetLoad{
		r: r, ids: ids, workers: workers, queries: queries,
		// A few milliseconds of work on the connection.
		query: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 300) SELECT count(*) FROM c",
		count: func() (int, error) { return r.Stats().ConnsInUse, nil },
		stall: time.Second,
	}.run(t)
	st := r.Stats()
	t.Logf("%d queries in %v, longest pause %v, connections max %d (%d samples), budget waits %d",
		res.done, res.elapsed.Round(time.Millisecond), res.maxGap.Round(time.Millisecond), res.maxCount, res.samples, st.BudgetWaits)
	for _, err := range res.failed {
		t.Error(err)
	}
	if !res.stalled && res.done != queries {
		t.Errorf("%d of %d queries done", res.done, queries)
	}
	if res.maxCount > maxConns {
		t.Errorf("%d connections at once, budget %d", res.maxCount, maxConns)
	}
	if st.BudgetWaits == 0 {
		t.Error("no connection waited for the budget: the test did not exercise it")
	}
}
