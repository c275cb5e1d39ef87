package tenantotel

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/metric"
	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
)

// ObserveRouting exports the statements the plugin installed on db routed
// and refused ([tenantplugin.Plugin.Stats]), read at each collection:
//
//   - tenantplugin.statements.routed (counter, {statement}): by
//     [RouteKey] "tenant", or "reserved" with [AliasKey];
//   - tenantplugin.statements.refused (counter, {statement}): by
//     [ReasonKey].
//
// Routing itself only adds to an atomic counter per route. db without
// the plugin is refused, and so is a second ObserveRouting.
func (m *Metrics) ObserveRouting(db *gorm.DB) error {
	if db == nil {
		return errors.New("tenantotel: ObserveRouting: nil *gorm.DB")
	}
	p, ok := tenantplugin.PluginOf(db)
	if !ok {
		return fmt.Errorf("tenantotel: ObserveRouting: the *gorm.DB has no %s installed", tenantplugin.PluginName)
	}
	return m.register("plugin", func() (metric.Registration, error) {
		routed, err1 := m.meter.Int64ObservableCounter("tenantplugin.statements.routed", metric.WithUnit("{statement}"),
			metric.WithDescription("Statements the plugin sent to a tenant's database or to a reserved one."))
		refused, err2 := m.meter.Int64ObservableCounter("tenantplugin.statements.refused", metric.WithUnit("{statement}"),
			metric.WithDescription("Statements the plugin refused without sending them, by reason."))
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		reasons := map[tenantplugin.Refusal]metric.ObserveOption{}
		for _, r := range tenantplugin.Refusals() {
			reasons[r] = metric.WithAttributes(ReasonKey.String(r.String()))
		}
		onTenant := metric.WithAttributes(routeTenant)
		return m.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
			s := p.Stats()
			for r, n := range s.Routed {
				if alias, ok := r.Alias(); ok {
					o.ObserveInt64(routed, clamp(n), metric.WithAttributes(routeReserved, AliasKey.String(alias)))
				} else {
					o.ObserveInt64(routed, clamp(n), onTenant)
				}
			}
			for r, n := range s.Refused {
				if opt, ok := reasons[r]; ok {
					o.ObserveInt64(refused, clamp(n), opt)
				}
			}
			return nil
		}, routed, refused)
	})
}

// clamp converts a count to the int64 the API takes.
func clamp(n uint64) int64 {
	if n > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(n)
}
