package resolver_test

import (
	"context"
	"fmt"
	"net/url"
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

// serverDatabases creates n databases on the server of adminURL,
// dropped when the test ends, and returns their names and the server's
// host:port.
func serverDatabases(t *testing.T, adminURL string, n int) ([]string, string) {
	t.Helper()
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatal(err)
	}
	return testenv.DatabasesOn(t, adminURL, n), u.Host
}

// twoServers registers tenants a0..a2 on the first server and b0..b2
// on the second on a resolver configured by cfg (template: the first
// server).
func twoServers(t *testing.T, cfg resolver.Config) (r *resolver.Resolver, s1, s2 string) {
	t.Helper()
	dbs1, s1 := serverDatabases(t, testenv.PostgresURL(t), 3)
	dbs2, s2 := serverDatabases(t, testenv.Postgres2URL(t), 3)
	u2, err := url.Parse(testenv.Postgres2URL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Template = resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(t)}
	cfg.Drivers = []dbdriver.Driver{pgdriver.New()}
	r = newResolver(t, cfg)
	var port2 int
	if _, err := fmt.Sscan(u2.Port(), &port2); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := r.Set(context.Background(), fmt.Sprintf("a%d", i), tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs1[i]}}); err != nil {
			t.Fatal(err)
		}
		if err := r.Set(context.Background(), fmt.Sprintf("b%d", i), tenantconfig.Database{DataSource: tenantconfig.DataSource{Port: port2, Name: dbs2[i]}}); err != nil {
			t.Fatal(err)
		}
	}
	return r, s1, s2
}

// leaseExec runs one statement as tenant id.
func leaseExec(ctx context.Context, r *resolver.Resolver, id, stmt string) error {
	l, err := r.Lease(ctx, id)
	if err != nil {
		return err
	}
	defer l.Release()
	_, err = l.DB().ExecContext(ctx, stmt)
	return err
}

// TestBudgetPerServer: with MaxConnsPerServer, tenants on a server whose
// budget a noisy tenant keeps spent get connections at once from their
// own server's budget, and no server ever has more than its budget;
// with one budget for all (MaxConns), the same load makes them wait.
func TestBudgetPerServer(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cfg        resolver.Config
		wantWaitsB bool
	}{
		{"per server", resolver.Config{MaxConnsPerServer: 4}, false},
		{"one budget", resolver.Config{MaxConns: 4}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, s1, s2 := twoServers(t, tc.cfg)
			ctx, cancel := context.WithCancel(context.Background())
			var (
				wg    sync.WaitGroup
				noisy atomic.Int64
				once  sync.Once
				fail  error
			)
			// The noisy tenants of server 1: more workers than the budget,
			// each holding a connection for 50 ms.
			for w := range 12 {
				wg.Go(func() {
					for ctx.Err() == nil {
						if err := leaseExec(ctx, r, fmt.Sprintf("a%d", w%3), "SELECT pg_sleep(0.05)"); err != nil && ctx.Err() == nil {
							once.Do(func() { fail = err })
							return
						}
						noisy.Add(1)
					}
				})
			}
			// Wait until server 1's budget is spent and others wait.
			deadline := time.Now().Add(10 * time.Second)
			for r.Stats().BudgetWaits == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the noisy tenants never spent the budget")
				}
				time.Sleep(10 * time.Millisecond)
			}
			// Server 2's tenants, one query at a time each.
			var quiet errGroup
			for i := range 3 {
				quiet.Go(func() error {
					for range 10 {
						qctx, qcancel := context.WithTimeout(ctx, 20*time.Second)
						err := leaseExec(qctx, r, fmt.Sprintf("b%d", i), "SELECT 1")
						qcancel()
						if err != nil {
							return err
						}
					}
					return nil
				})
			}
			if err := quiet.Wait(); err != nil {
				t.Fatal(err)
			}
			st := r.Stats()
			cancel()
			wg.Wait()
			if fail != nil {
				t.Fatal(fail)
			}
			if !tc.wantWaitsB {
				if st.Servers[s1].BudgetWaits == 0 || st.Servers[s1].MaxConns != 4 {
					t.Errorf("server 1: %+v: want its budget of 4 spent", st.Servers[s1])
				}
				if st.Servers[s2].BudgetWaits != 0 {
					t.Errorf("server 2's tenants waited %d times for server 1's budget", st.Servers[s2].BudgetWaits)
				}
				if st.MaxConns != -1 || len(st.Servers) != 2 {
					t.Errorf("stats: MaxConns %d, servers %v", st.MaxConns, st.Servers)
				}
				return
			}
			if st.Servers != nil {
				t.Errorf("one budget: Servers = %v, want nil", st.Servers)
			}
			var waitsB uint64
			for id, n := range st.TenantBudgetWaits {
				if id[0] == 'b' {
					waitsB += n
				}
			}
			if waitsB == 0 {
				t.Error("one budget: server 2's tenants never waited: the test does not show starvation")
			}
		})
	}
}

// errGroup runs functions and returns the first error.
type errGroup struct {
	wg   sync.WaitGroup
	once sync.Once
	err  error
}

func (g *errGroup) Go(f func() error) {
	g.wg.Go(func() {
		if err := f(); err != nil {
			g.once.Do(func() { g.err = err })
		}
	})
}

func (g *errGroup) Wait() error {
	g.wg.Wait()
	return g.err
}
