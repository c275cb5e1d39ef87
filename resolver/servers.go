package resolver

import (
	"database/sql/driver"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// budgets holds the connection budgets: one for every tenant pool, or,
// with Config.MaxConnsPerServer, one per database server, made when the
// server's first pool opens.
type budgets struct {
	perServer bool
	max       int            // each server's budget, unless in byServer
	byServer  map[string]int // Config.ServerMaxConns
	newBudget func(limit int) *budget

	mu     sync.Mutex
	m      map[string]*budget // by server; "" the one budget when !perServer
	closed bool
}

// forConn returns the budget of the server conn reaches.
func (bs *budgets) forConn(c driver.Connector) (*budget, error) {
	key := ""
	if bs.perServer {
		if sc, ok := c.(dbdriver.ServerConnector); ok {
			key = sc.Server()
		}
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if b := bs.m[key]; b != nil {
		return b, nil
	}
	if bs.closed {
		return nil, ErrClosed
	}
	limit := bs.max
	if n, ok := bs.byServer[key]; ok {
		limit = n
	}
	b := bs.newBudget(limit)
	bs.m[key] = b
	return b, nil
}

// all returns every budget with its server.
func (bs *budgets) all() map[string]*budget {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	out := make(map[string]*budget, len(bs.m))
	for k, b := range bs.m {
		out[k] = b
	}
	return out
}

// wait stops every budget's workers, and makes no more, once no closed
// connection's server session is still ending.
func (bs *budgets) wait() {
	bs.mu.Lock()
	bs.closed = true
	bs.mu.Unlock()
	for _, b := range bs.all() {
		b.wait()
	}
}

// checkServers checks Config.MaxConnsPerServer and ServerMaxConns.
func checkServers(c Config) error {
	if c.MaxConnsPerServer < 0 {
		return fmt.Errorf("%w: MaxConnsPerServer is %d: want a positive value, or 0 for one budget of MaxConns for all servers", ErrInvalidConfig, c.MaxConnsPerServer)
	}
	if c.MaxConnsPerServer == 0 {
		if len(c.ServerMaxConns) > 0 {
			return fmt.Errorf("%w: ServerMaxConns needs MaxConnsPerServer, the budget of the servers it does not list", ErrInvalidConfig)
		}
		return nil
	}
	if c.MaxConns != 0 {
		return fmt.Errorf("%w: MaxConns is %d and MaxConnsPerServer %d: MaxConns is one budget for all servers, MaxConnsPerServer one for each; set one", ErrInvalidConfig, c.MaxConns, c.MaxConnsPerServer)
	}
	seen := make(map[string]string, len(c.ServerMaxConns))
	for _, server := range slices.Sorted(maps.Keys(c.ServerMaxConns)) {
		n := c.ServerMaxConns[server]
		host, port, err := net.SplitHostPort(server)
		if err != nil || host == "" {
			return fmt.Errorf("%w: ServerMaxConns key %q: want host:port, as the server's DSN gives them", ErrInvalidConfig, server)
		}
		if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
			return fmt.Errorf("%w: ServerMaxConns key %q: bad port", ErrInvalidConfig, server)
		}
		if n == 0 || n < -1 {
			return fmt.Errorf("%w: ServerMaxConns[%q] is %d: want a positive value or -1 for no budget", ErrInvalidConfig, server, n)
		}
		key := serverKey(server)
		if other, ok := seen[key]; ok && c.ServerMaxConns[other] != n {
			return fmt.Errorf("%w: ServerMaxConns keys %q and %q name one server with two budgets", ErrInvalidConfig, other, server)
		}
		seen[key] = server
	}
	return nil
}

// serverKeys returns ServerMaxConns keyed as drivers name servers (see
// serverKey).
func serverKeys(byServer map[string]int) map[string]int {
	if len(byServer) == 0 {
		return nil
	}
	out := make(map[string]int, len(byServer))
	for server, n := range byServer {
		out[serverKey(server)] = n
	}
	return out
}

// serverKey writes a ServerMaxConns key ("host:port", checked by
// checkServers) as a driver names its server (dbdriver.ServerConnector;
// pgdriver's): a host name in lower case without a trailing dot, an IP
// address in its shortest form (IPv4 mapped to IPv6 as IPv4), a socket
// directory cleaned. "DB1.example.:5432" is "db1.example:5432", so that
// the budget given is the one the server gets.
func serverKey(server string) string {
	host, port, err := net.SplitHostPort(server)
	if err != nil {
		return server
	}
	switch a, err := netip.ParseAddr(host); {
	case strings.HasPrefix(host, "/"):
		host = path.Clean(host)
	case err == nil:
		host = a.Unmap().String()
	default:
		host = strings.TrimSuffix(strings.ToLower(host), ".")
	}
	return net.JoinHostPort(host, port)
}

// Server returns the database server of the tenant's primary
// ("host:port"), as its connection budget knows it: "" for a driver
// that names none (SQLite). It does no I/O.
func (r *Resolver) Server(id string) (string, error) {
	r.mu.RLock()
	t := r.tenants[id]
	var cfg tenantconfig.Database
	if t != nil {
		cfg = t.cfg
	}
	r.mu.RUnlock()
	if t == nil {
		return "", &tenant.Error{ID: id, Err: tenant.ErrUnknown}
	}
	c, err := r.connector(cfg.DataSource)
	if err != nil {
		return "", &tenant.Error{ID: id, Err: err}
	}
	if sc, ok := c.(dbdriver.ServerConnector); ok {
		return sc.Server(), nil
	}
	return "", nil
}

// ServerBudget returns the connection budget of the server
// ("host:port"; see [Resolver.Server]) and whether budgets are per
// server ([Config.MaxConnsPerServer]); without, it returns MaxConns,
// the budget of all servers together, and false. -1: no budget.
func (r *Resolver) ServerBudget(server string) (int, bool) {
	if !r.budgets.perServer {
		return r.cfg.MaxConns, false
	}
	if n, ok := r.budgets.byServer[serverKey(server)]; ok {
		return n, true
	}
	return r.budgets.max, true
}
