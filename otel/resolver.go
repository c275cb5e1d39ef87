package tenantotel

import (
	"context"
	"database/sql"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/tenantrouter/tenantplugin/resolver"
)

// ResolverSource is what [Metrics.ObserveResolver] reads:
// [*resolver.Resolver], or a wrapper around one.
type ResolverSource interface {
	Stats() resolver.PoolStats
}

// ObserveResolver exports the resolver's pools ([resolver.PoolStats]),
// read at each collection. In total:
//
//   - tenantplugin.tenants (gauge, {tenant}): registered tenants;
//   - tenantplugin.pools.open (gauge, {pool}): open pools, draining ones
//     included; tenantplugin.pools.limit (gauge): MaxPools, when there is
//     a cap;
//   - tenantplugin.pools.opened, .closed, .evicted, .swapped (counters,
//     {pool});
//   - tenantplugin.budget.connections (gauge, {connection}): the
//     connection budget's slots held (connections open or opening, and
//     closed ones whose server session has not ended);
//     tenantplugin.budget.limit (gauge): MaxConns, when there is a
//     budget;
//   - tenantplugin.budget.waits (counter, {wait}): connection attempts
//     that found the budget spent.
//
// Per tenant whose pool is open ([TenantKey], or summed over the
// tenants with [WithoutTenantLabels]), from the primary's sql.DBStats:
//
//   - tenantplugin.pool.connections (gauge, {connection}): by
//     [StateKey] "used" or "idle";
//   - tenantplugin.pool.budget_waits (counter, {wait}): the pool's
//     connection attempts that found the budget spent (per tenant only:
//     without tenant labels, tenantplugin.budget.waits is the total);
//   - tenantplugin.pool.waits (counter, {wait}) and
//     tenantplugin.pool.wait_time (counter, s): database/sql's waits for
//     one of the pool's own connections, at its MaxOpenConns or while
//     the spent budget holds each pool to the connections it has.
//
// A tenant's pool counters start again at 0 when its pool is reopened
// (evicted, swapped), which metrics backends read as a counter reset;
// summed over the tenants they drop when a pool closes.
//
// A nil r is refused, and so is a second ObserveResolver.
func (m *Metrics) ObserveResolver(r ResolverSource) error {
	if isNil(r) {
		return errors.New("tenantotel: ObserveResolver: nil resolver")
	}
	return m.register("resolver", func() (metric.Registration, error) {
		in := resolverInstruments{}
		if err := in.create(m.meter); err != nil {
			return nil, err
		}
		return m.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
			in.observe(o, r.Stats(), m.perTenant)
			return nil
		}, in.all()...)
	})
}

type resolverInstruments struct {
	tenants, poolsOpen, poolsLimit, budgetConns, budgetLimit, poolConns metric.Int64ObservableGauge
	opened, closed, evicted, swapped, budgetWaits, poolWaits            metric.Int64ObservableCounter
	poolBudgetWaits                                                     metric.Int64ObservableCounter
	poolWaitTime                                                        metric.Float64ObservableCounter
	err                                                                 error // of creating them
}

func (in *resolverInstruments) create(mt metric.Meter) error {
	gauge := func(name, unit, desc string) metric.Int64ObservableGauge {
		g, err := mt.Int64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		in.note(err)
		return g
	}
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		c, err := mt.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		in.note(err)
		return c
	}
	in.tenants = gauge("tenantplugin.tenants", "{tenant}", "Tenants registered in the resolver.")
	in.poolsOpen = gauge("tenantplugin.pools.open", "{pool}", "Tenant pools open, draining ones included.")
	in.poolsLimit = gauge("tenantplugin.pools.limit", "{pool}", "The cap on open tenant pools (MaxPools).")
	in.opened = counter("tenantplugin.pools.opened", "{pool}", "Tenant pools opened.")
	in.closed = counter("tenantplugin.pools.closed", "{pool}", "Tenant pools closed.")
	in.evicted = counter("tenantplugin.pools.evicted", "{pool}", "Tenant pools closed for the pool cap, the budget or idleness.")
	in.swapped = counter("tenantplugin.pools.swapped", "{pool}", "Tenant pools replaced by a config change.")
	in.budgetConns = gauge("tenantplugin.budget.connections", "{connection}", "Connection budget slots held by tenant connections.")
	in.budgetLimit = gauge("tenantplugin.budget.limit", "{connection}", "The connection budget shared by tenant pools (MaxConns).")
	in.budgetWaits = counter("tenantplugin.budget.waits", "{wait}", "Connection attempts that found the budget spent.")
	in.poolConns = gauge("tenantplugin.pool.connections", "{connection}", "Connections of tenants' pools, by state.")
	in.poolBudgetWaits = counter("tenantplugin.pool.budget_waits", "{wait}", "Connection attempts of a tenant's pool that found the budget spent.")
	in.poolWaits = counter("tenantplugin.pool.waits", "{wait}", "Waits for one of the pool's own connections in tenants' pools.")
	var err error
	in.poolWaitTime, err = mt.Float64ObservableCounter("tenantplugin.pool.wait_time", metric.WithUnit("s"),
		metric.WithDescription("Time spent waiting for a connection in tenants' pools."))
	in.note(err)
	return in.err
}

func (in *resolverInstruments) note(err error) { in.err = errors.Join(in.err, err) }

func (in *resolverInstruments) all() []metric.Observable {
	return []metric.Observable{in.tenants, in.poolsOpen, in.poolsLimit, in.opened, in.closed, in.evicted, in.swapped,
		in.budgetConns, in.budgetLimit, in.budgetWaits, in.poolConns, in.poolBudgetWaits, in.poolWaits, in.poolWaitTime}
}

func (in *resolverInstruments) observe(o metric.Observer, s resolver.PoolStats, perTenant bool) {
	o.ObserveInt64(in.tenants, int64(s.Tenants))
	o.ObserveInt64(in.poolsOpen, int64(s.OpenPools))
	if s.MaxPools >= 0 {
		o.ObserveInt64(in.poolsLimit, int64(s.MaxPools))
	}
	o.ObserveInt64(in.opened, clamp(s.Opened))
	o.ObserveInt64(in.closed, clamp(s.Closed))
	o.ObserveInt64(in.evicted, clamp(s.Evicted))
	o.ObserveInt64(in.swapped, clamp(s.Swapped))
	o.ObserveInt64(in.budgetConns, int64(s.ConnsInUse))
	if s.MaxConns >= 0 {
		o.ObserveInt64(in.budgetLimit, int64(s.MaxConns))
	}
	o.ObserveInt64(in.budgetWaits, clamp(s.BudgetWaits))
	if perTenant {
		for id, st := range s.Pools {
			t := TenantKey.String(id)
			in.observePool(o, st, t)
			o.ObserveInt64(in.poolBudgetWaits, clamp(s.TenantBudgetWaits[id]), metric.WithAttributes(t))
		}
		return
	}
	var sum sql.DBStats
	for _, st := range s.Pools {
		sum.InUse += st.InUse
		sum.Idle += st.Idle
		sum.WaitCount += st.WaitCount
		sum.WaitDuration += st.WaitDuration
	}
	in.observePool(o, sum)
}

func (in *resolverInstruments) observePool(o metric.Observer, st sql.DBStats, attrs ...attribute.KeyValue) {
	o.ObserveInt64(in.poolConns, int64(st.InUse), metric.WithAttributes(append(attrs, stateUsed)...))
	o.ObserveInt64(in.poolConns, int64(st.Idle), metric.WithAttributes(append(attrs, stateIdle)...))
	o.ObserveInt64(in.poolWaits, st.WaitCount, metric.WithAttributes(attrs...))
	o.ObserveFloat64(in.poolWaitTime, st.WaitDuration.Seconds(), metric.WithAttributes(attrs...))
}
