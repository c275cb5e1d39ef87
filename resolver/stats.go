package resolver

import (
	"database/sql"
	"maps"
)

// PoolStats is a snapshot of the resolver's pools, as [Resolver.Stats]
// returns it.
type PoolStats struct {
	Tenants   int    // registered tenants
	OpenPools int    // pools not yet closed, draining ones included
	Opened    uint64 // pools opened since New
	Closed    uint64 // pools closed since New
	Evicted   uint64 // pools closed for the pool cap, the budget or idleness
	Swapped   uint64 // pools replaced by a config change
	// ConnsInUse counts the budget's slots held (at most MaxConns), of
	// every server's budget with [Config.MaxConnsPerServer]:
	// connections to tenant databases that are open or opening, and
	// closed ones whose server session has not ended yet (a PostgreSQL
	// backend still exiting).
	ConnsInUse int
	// MaxConns is [Config.MaxConns] with its default applied: -1 when
	// there is no budget over all servers (none, or one per server).
	MaxConns int
	// MaxPools is [Config.MaxPools] with its default applied: -1 when
	// there is no cap.
	MaxPools int
	// BudgetWaits counts connection attempts that found the budget spent
	// (or others already waiting).
	BudgetWaits uint64
	// TenantBudgetWaits holds, for each tenant whose pool is open, the
	// connection attempts of its current pool (primary and replicas)
	// that found the budget spent. A tenant's count starts again at 0
	// when its pool is reopened (evicted, swapped).
	TenantBudgetWaits map[string]uint64
	// Pools holds the database/sql statistics of each tenant's current
	// primary, for tenants whose pool is open.
	Pools map[string]sql.DBStats
	// Servers holds each database server's budget, by "host:port", with
	// [Config.MaxConnsPerServer]; nil without it.
	Servers map[string]ServerStats
}

// ServerStats is one database server's connection budget.
type ServerStats struct {
	ConnsInUse  int    // slots held, as PoolStats.ConnsInUse counts them
	MaxConns    int    // the server's budget; -1: none
	BudgetWaits uint64 // connection attempts that found it spent
}

// Stats returns a snapshot of the resolver's pools.
func (r *Resolver) Stats() PoolStats {
	r.mu.RLock()
	s := PoolStats{Tenants: len(r.tenants), Pools: make(map[string]sql.DBStats)}
	open := make(map[string]*pool)
	for id, t := range r.tenants {
		if p := t.pool.Load(); p != nil && !p.retired() {
			s.Pools[id] = p.primary.Stats()
			open[id] = p
		}
	}
	r.mu.RUnlock()
	all := r.budgets.all()
	waits := make(map[*sql.DB]uint64)
	for server, b := range all {
		maps.Copy(waits, b.waitsByDB())
		st := ServerStats{ConnsInUse: b.inUse(), MaxConns: b.max, BudgetWaits: b.waits.Load()}
		s.ConnsInUse += st.ConnsInUse
		s.BudgetWaits += st.BudgetWaits
		if r.budgets.perServer {
			if s.Servers == nil {
				s.Servers = make(map[string]ServerStats)
			}
			s.Servers[server] = st
		}
	}
	s.TenantBudgetWaits = make(map[string]uint64, len(open))
	for id, p := range open {
		n := waits[p.primary]
		for _, c := range p.replicas {
			n += waits[c.(*sql.DB)]
		}
		s.TenantBudgetWaits[id] = n
	}
	r.capMu.Lock()
	s.OpenPools = r.open
	r.capMu.Unlock()
	s.Opened, s.Closed = r.opened.Load(), r.closedPools.Load()
	s.Evicted, s.Swapped = r.evicted.Load(), r.swapped.Load()
	s.MaxConns = r.cfg.MaxConns
	s.MaxPools = r.cfg.MaxPools
	return s
}

// TenantStats returns the database/sql statistics of the tenant's
// current primary, and false when its pool is not open.
func (r *Resolver) TenantStats(id string) (sql.DBStats, bool) {
	r.mu.RLock()
	t := r.tenants[id]
	r.mu.RUnlock()
	if t == nil {
		return sql.DBStats{}, false
	}
	p := t.pool.Load()
	if p == nil || p.retired() {
		return sql.DBStats{}, false
	}
	return p.primary.Stats(), true
}
