package resolver_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/resolver"
)

// TestServerBudgetConfig: per-server budgets refuse what cannot be
// meant, naming the field, and are on only when asked for.
func TestServerBudgetConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*resolver.Config)
		want string
	}{
		{"negative", func(c *resolver.Config) { c.MaxConnsPerServer = -1 }, "MaxConnsPerServer is -1"},
		{"both", func(c *resolver.Config) { c.MaxConnsPerServer, c.MaxConns = 10, 40 }, "set one"},
		{"servers alone", func(c *resolver.Config) { c.ServerMaxConns = map[string]int{"127.0.0.1:5432": 10} }, "ServerMaxConns needs MaxConnsPerServer"},
		{"no port", func(c *resolver.Config) {
			c.MaxConnsPerServer, c.ServerMaxConns = 10, map[string]int{"db1": 10}
		}, `key "db1": want host:port`},
		{"bad port", func(c *resolver.Config) {
			c.MaxConnsPerServer, c.ServerMaxConns = 10, map[string]int{"db1:0": 10}
		}, `key "db1:0": bad port`},
		{"zero budget", func(c *resolver.Config) {
			c.MaxConnsPerServer, c.ServerMaxConns = 10, map[string]int{"db1:5432": 0}
		}, `ServerMaxConns["db1:5432"] is 0`},
		{"one server, two budgets", func(c *resolver.Config) {
			c.MaxConnsPerServer, c.ServerMaxConns = 10, map[string]int{"DB1:5432": 3, "db1.:5432": 4}
		}, `name one server with two budgets`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sqliteConfig()
			tc.set(&cfg)
			r, err := resolver.New(cfg)
			if err == nil {
				_ = r.Close()
			}
			if !errors.Is(err, resolver.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v; want ErrInvalidConfig with %q", err, tc.want)
			}
		})
	}
	cfg := sqliteConfig()
	cfg.MaxConnsPerServer = 6
	r := newResolver(t, cfg)
	setTenants(t, r, 2)
	for _, id := range []string{"t0", "t1"} {
		l, err := r.Lease(tctx(id), id)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.DB().Ping(); err != nil {
			t.Fatal(err)
		}
		l.Release()
	}
	st := r.Stats()
	// SQLite files have no server: one budget, under "".
	if st.MaxConns != -1 || len(st.Servers) != 1 || st.Servers[""].MaxConns != 6 || st.ConnsInUse != st.Servers[""].ConnsInUse {
		t.Fatalf("stats: MaxConns %d, Servers %+v, ConnsInUse %d", st.MaxConns, st.Servers, st.ConnsInUse)
	}
}

// TestServerMaxConnsKeys: a ServerMaxConns key is matched as drivers
// name their servers, whatever the case of its host, a trailing dot or
// the spelling of its address.
func TestServerMaxConnsKeys(t *testing.T) {
	cfg := sqliteConfig()
	cfg.MaxConnsPerServer = 10
	cfg.ServerMaxConns = map[string]int{"DB1.Example.:5432": 3, "[::ffff:10.0.0.1]:5432": 4, "[2001:DB8:0::1]:6432": 5, "/var/run/postgresql/../postgresql:5432": 6, "db2:5432": 7, "DB2.:5432": 7}
	r := newResolver(t, cfg)
	for server, want := range map[string]int{
		"db1.example:5432": 3, "10.0.0.1:5432": 4, "[2001:db8::1]:6432": 5, "/var/run/postgresql:5432": 6, "db2:5432": 7, "db3:5432": 10,
	} {
		if got, perServer := r.ServerBudget(server); got != want || !perServer {
			t.Errorf("ServerBudget(%q) = %d, %v; want %d, true", server, got, perServer, want)
		}
	}
}
