package tenantplugin

import (
	"errors"
	"sync/atomic"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// Stats counts what the plugin did since it was installed, as
// [Plugin.Stats] returns it.
type Stats struct {
	// Routed counts statements by the route the plugin sent them on:
	// [TenantRoute] for tenants' databases, and [ReservedRoute] for each
	// reserved alias (every alias of the plugin is there, 0 included).
	// It counts routing decisions: statements of GORM's callbacks, those
	// inside transactions, and SQL given to the *gorm.DB's pool directly.
	// A statement the final SQL check then refuses (see Refused) is
	// counted here too. Transactions' BEGIN and COMMIT are not counted.
	Routed map[Route]uint64
	// Refused counts statements refused without being sent, by reason
	// (every [Refusal] is there, 0 included): at routing, at the final
	// check of their SQL, and transactions refused at Begin.
	Refused map[Refusal]uint64
}

// Refusal is why the plugin refused a statement, as [Stats] counts it.
type Refusal uint8

// The refusals, one per sentinel error; [RefusedOther] for the rest.
const (
	// RefusedMissingTenant: no tenant in the context and no reserved
	// route ([tenant.ErrMissing]).
	RefusedMissingTenant Refusal = iota + 1
	// RefusedUnknownTenant: the tenant is not registered
	// ([tenant.ErrUnknown]).
	RefusedUnknownTenant
	// RefusedInvalidTenant: the tenant id is malformed
	// ([tenant.ErrInvalidID]).
	RefusedInvalidTenant
	// RefusedUnknownAlias: a reserved alias the plugin does not define
	// ([ErrUnknownAlias]).
	RefusedUnknownAlias
	// RefusedCrossDatabase: the statement spans databases, or leaves its
	// transaction's ([ErrCrossDatabase]).
	RefusedCrossDatabase
	// RefusedBypassedRouting: the statement runs on a connection or
	// transaction the plugin did not begin ([ErrBypassedRouting]), even
	// when its context has no tenant either.
	RefusedBypassedRouting
	// RefusedUnreadableSQL: its SQL cannot be read to route it
	// ([ErrUnreadableSQL]).
	RefusedUnreadableSQL
	// RefusedOther: any other error while routing: the resolver's (no
	// pool slot within the context's deadline, a closed resolver, a
	// tenant's database that cannot be opened).
	RefusedOther
	numRefusals
)

var refusalNames = [numRefusals]string{"", "missing_tenant", "unknown_tenant", "invalid_tenant", "unknown_alias",
	"cross_database", "bypassed_routing", "unreadable_sql", "other"}

// String returns the refusal's name in snake case: "missing_tenant",
// "unknown_tenant", "invalid_tenant", "unknown_alias", "cross_database",
// "bypassed_routing", "unreadable_sql" or "other".
func (r Refusal) String() string {
	if r > 0 && r < numRefusals {
		return refusalNames[r]
	}
	return "refusal(?)"
}

// Refusals returns every [Refusal], in order.
func Refusals() []Refusal {
	rs := make([]Refusal, 0, numRefusals-1)
	for r := Refusal(1); r < numRefusals; r++ {
		rs = append(rs, r)
	}
	return rs
}

// refusalOf classifies a routing error.
func refusalOf(err error) Refusal {
	switch {
	case errors.Is(err, ErrBypassedRouting):
		// Before ErrMissing, which a statement on a foreign pool with no
		// tenant wraps too.
		return RefusedBypassedRouting
	case errors.Is(err, tenant.ErrMissing):
		return RefusedMissingTenant
	case errors.Is(err, tenant.ErrUnknown):
		return RefusedUnknownTenant
	case errors.Is(err, tenant.ErrInvalidID):
		return RefusedInvalidTenant
	case errors.Is(err, ErrUnknownAlias):
		return RefusedUnknownAlias
	case errors.Is(err, ErrCrossDatabase):
		return RefusedCrossDatabase
	case errors.Is(err, ErrUnreadableSQL):
		return RefusedUnreadableSQL
	}
	return RefusedOther
}

// routedCounter counts the statements sent on one route. Routing adds
// to it with one atomic add (about 3 ns when no other core adds to it at
// the same moment); it has a cache line of its own, so that counting
// never invalidates the line of the fields routing reads.
type routedCounter struct {
	_ [64]byte
	n atomic.Uint64
	_ [56]byte
}

func (c *routedCounter) add() { c.n.Add(1) }

// refused counts a refusal; it is on the error path only.
func (p *Plugin) refused(err error) {
	p.refusals[refusalOf(err)].Add(1)
}

// countRoute counts a statement sent on route r, for the paths that know
// the route but not its counter (transactions, the router's own pool).
func (p *Plugin) countRoute(r Route) {
	if r.alias == "" {
		p.routedTenant.add()
		return
	}
	if s, ok := p.reserved[r.alias]; ok {
		s.routed.add()
	}
}

// Stats returns what the plugin has routed and refused since it was
// installed. It is safe to call at any time, from any goroutine; the
// counts are read one by one, not as one snapshot.
func (p *Plugin) Stats() Stats {
	s := Stats{
		Routed:  make(map[Route]uint64, len(p.reserved)+1),
		Refused: make(map[Refusal]uint64, numRefusals-1),
	}
	s.Routed[TenantRoute()] = p.routedTenant.n.Load()
	for alias, rs := range p.reservedSets() {
		s.Routed[ReservedRoute(alias)] = rs.routed.n.Load()
	}
	for r := Refusal(1); r < numRefusals; r++ {
		s.Refused[r] = p.refusals[r].Load()
	}
	return s
}

// reservedSets returns the reserved sets once Initialize has built them.
func (p *Plugin) reservedSets() map[string]*reservedSet {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.db == nil {
		return nil
	}
	return p.reserved
}

// PluginOf returns the plugin installed on db, and false when it has
// none. Observability tools use it to read [Plugin.Stats].
func PluginOf(db *gorm.DB) (*Plugin, bool) {
	p, ok := db.Config.Plugins[PluginName].(*Plugin)
	return p, ok
}

// StatementRoute returns the route the plugin chose for the statement db
// is running, and false when it has none: db has no plugin, the
// statement was refused, runs under DryRun, or is not routed yet. Only a
// GORM callback that runs between the plugin's routing callback (first)
// and its unrouting one (last) can see it, such as a tracing callback
// that labels the statement's span.
func StatementRoute(db *gorm.DB) (Route, bool) {
	if _, ok := PluginOf(db); !ok {
		return Route{}, false
	}
	switch c := db.Statement.ConnPool.(type) {
	case nil, failPool, dryRunPool, *router, *gorm.PreparedStmtDB:
		return Route{}, false
	case *reservedConn:
		return ReservedRoute(c.alias), true
	case *checkedPool:
		return c.on, true
	}
	if tx, ok := txOf(db.Statement.ConnPool); ok {
		return tx.route, true
	}
	if foreign(db.Statement.ConnPool) {
		return Route{}, false
	}
	// What is left is the pool the resolver gave for the tenant.
	return TenantRoute(), true
}
