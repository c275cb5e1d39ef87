package resolver_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// pgBudgetResolver registers one tenant per database of dbs on a
// PostgreSQL resolver with a budget of maxConns and default pools.
func pgBudgetResolver(t *testing.T, dbs []string, maxConns int) (*resolver.Resolver, []string) {
	r, ids, _ := pgBudgetResolverWarnings(t, dbs, maxConns)
	return r, ids
}

// pgBudgetResolverWarnings is pgBudgetResolver, with a count of the
// warnings the resolver logs.
func pgBudgetResolverWarnings(t *testing.T, dbs []string, maxConns int) (*resolver.Resolver, []string, *atomic.Int64) {
	t.Helper()
	warnings := new(atomic.Int64)
	r := newResolver(t, resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(t)},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
		MaxConns: maxConns,
		Logger:   slog.New(warnCounter{warnings}),
	})
	ids := make([]string, len(dbs))
	for i, db := range dbs {
		ids[i] = fmt.Sprintf("t%d", i)
		if err := r.Set(context.Background(), ids[i], tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: db}}); err != nil {
			t.Fatal(err)
		}
	}
	return r, ids, warnings
}

// warnCounter is a slog handler that counts warnings and drops the rest.
type warnCounter struct{ n *atomic.Int64 }

func (h warnCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h warnCounter) Handle(context.Context, slog.Record) error {
	h.n.Add(1)
	return nil
}
func (h warnCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h warnCounter) WithGroup(string) slog.Handler      { return h }

// backends counts the client sessions the server has on dbs, as
// pg_stat_activity lists them: from a backend's start until its
// process exits.
func backends(admin *sql.DB, dbs []string) func() (int, error) {
	return func() (int, error) {
		var n int
		err := admin.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = ANY($1) AND backend_type = 'client backend'`, dbs).Scan(&n)
		return n, err
	}
}

// TestBudgetNeverStalls runs more workers than the budget has
// connections, spread over tenants whose pools would each open more: no
// query has a deadline, and every one must finish, with no pause longer
// than a second, while the server never holds more sessions on the
// tenants' databases than the budget allows.
func TestBudgetNeverStalls(t *testing.T) {
	tests := []struct {
		name              string
		tenants, maxConns int
		workers, queries  int
		query             string
	}{
		{"4 tenants, budget 4", 4, 4, 16, 800, "SELECT pg_sleep(0.01)"},
		{"8 tenants, budget 8", 8, 8, 32, 1200, "SELECT pg_sleep(0.01)"},
		{"8 tenants, budget 4", 8, 4, 32, 600, "SELECT pg_sleep(0.01)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			admin := testenv.Admin(t)
			dbs := testenv.Databases(t, tt.tenants)
			r, ids := pgBudgetResolver(t, dbs, tt.maxConns)
			res := budgetLoad{
				r: r, ids: ids, workers: tt.workers, queries: tt.queries,
				query: tt.query, count: backends(admin, dbs), stall: time.Second,
			}.run(t)
			st := r.Stats()
			t.Logf("%d queries in %v (%.0f/s), longest pause %v, server sessions max %d (%d samples), budget waits %d",
				res.done, res.elapsed.Round(time.Millisecond), float64(res.done)/res.elapsed.Seconds(),
				res.maxGap.Round(time.Millisecond), res.maxCount, res.samples, st.BudgetWaits)
			for _, err := range res.failed {
				t.Error(err)
			}
			if !res.stalled && res.done != int64(tt.queries) {
				t.Errorf("%d of %d queries done", res.done, tt.queries)
			}
			if res.maxCount > tt.maxConns {
				t.Errorf("the server had %d sessions on the tenants' databases, budget %d", res.maxCount, tt.maxConns)
			}
			if st.BudgetWaits == 0 {
				t.Error("no connection waited for the budget: the test did not exercise it")
			}
		})
	}
}

// TestBudgetCountsExitingBackends cancels queries while they run on the
// server: pgx closes such a connection in the background, and its
// backend runs until the cancel request lands. The server must never
// hold more sessions on the tenants' databases than the budget allows.
func TestBudgetCountsExitingBackends(t *testing.T) {
	const maxConns = 8
	admin := testenv.Admin(t)
	dbs := testenv.Databases(t, 4)
	r, ids, warnings := pgBudgetResolverWarnings(t, dbs, maxConns)
	res := budgetLoad{
		r: r, ids: ids, workers: 24, duration: 5 * time.Second,
		query: "SELECT pg_sleep(0.5)",
		timeout: func(rng *rand.Rand) time.Duration {
			return 5*time.Millisecond + time.Duration(rng.Int64N(int64(195*time.Millisecond)))
		},
		count: backends(admin, dbs), stall: time.Second,
	}.run(t)
	t.Logf("%d queries cancelled by their deadline, %d finished; server sessions max %d (%d samples); %+v",
		res.expired, res.done, res.maxCount, res.samples, r.Stats())
	for _, err := range res.failed {
		t.Error(err)
	}
	if res.expired < 100 {
		t.Errorf("only %d queries reached their deadline: the test did not exercise cancellation", res.expired)
	}
	if res.maxCount < maxConns/2 {
		t.Errorf("at most %d sessions: the load did not press the budget", res.maxCount)
	}
	if res.maxCount > maxConns {
		t.Errorf("the server had %d sessions on the tenants' databases, budget %d", res.maxCount, maxConns)
	}
	start := time.Now()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waits for the sessions still ending: not for a timeout.
	t.Logf("Close took %v", time.Since(start).Round(time.Millisecond))
	if n := warnings.Load(); n > 0 {
		t.Errorf("%d warnings: a session's end was not seen", n)
	}
	if n, err := backends(admin, dbs)(); err != nil || n > 0 {
		t.Errorf("%d sessions left after Close (%v)", n, err)
	}
}

// TestBudgetFollowsTheLoad spreads a load over 8 tenants, which spends
// the budget (each pool then holds about one connection), then puts it
// all on one tenant: that tenant's pool must take over the others' idle
// connections within a second or so, although its requests queue for its
// own connections instead of asking the budget for more.
func TestBudgetFollowsTheLoad(t *testing.T) {
	const (
		maxConns = 8
		focus    = time.Second
	)
	admin := testenv.Admin(t)
	dbs := testenv.Databases(t, 8)
	r, ids := pgBudgetResolver(t, dbs, maxConns)
	var took time.Duration
	start := time.Now()
	count := backends(admin, dbs[:1])
	res := budgetLoad{
		r: r, ids: ids, workers: 32, duration: focus + 2*time.Second, focus: focus,
		query: "SELECT pg_sleep(0.02)", stall: time.Second,
		count: func() (int, error) {
			n, err := count()
			if n >= maxConns-2 && took == 0 && time.Since(start) > focus {
				took = time.Since(start) - focus
			}
			return n, err
		},
	}.run(t)
	st := r.Stats()
	t.Logf("%d queries (%.0f/s), %d budget waits; the busy tenant had %d connections at most, %d+ %v after the load moved to it",
		res.done, float64(res.done)/res.elapsed.Seconds(), st.BudgetWaits, res.maxCount, maxConns-2, took.Round(time.Millisecond))
	for _, err := range res.failed {
		t.Error(err)
	}
	if st.BudgetWaits == 0 {
		t.Error("the budget was never spent: the test did not exercise it")
	}
	if took == 0 || took > 1500*time.Millisecond {
		t.Errorf("the busy tenant reached %d connections (of %d); %d+ after %v", res.maxCount, maxConns, maxConns-2, took)
	}
}
