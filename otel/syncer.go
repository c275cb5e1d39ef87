package tenantotel

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// SyncerSource is what [Metrics.ObserveSyncer] reads:
// [*tenantsync.Syncer].
type SyncerSource interface {
	Stats() tenantsync.Stats
}

// ObserveSyncer exports what the config watcher did ([tenantsync.Stats]),
// read at each collection:
//
//   - tenantplugin.sync.tenants (gauge, {tenant}): tenants applied;
//   - tenantplugin.sync.applied, .refused (counters, {change}): changes
//     applied (set or removed), and refused (a bad config, an
//     unreachable database; the tenant keeps its last good config);
//   - tenantplugin.sync.stale (counter, {announcement}): announcements
//     overtaken by a later change when read;
//   - tenantplugin.sync.resyncs (counter, {resync}): full resyncs, and
//     tenantplugin.sync.empty_store ({resync}): those that found the
//     store empty while tenants were known;
//   - tenantplugin.sync.corrected (counter, {tenant}): tenants set again
//     because the store's history was rewritten (a failover lost
//     acknowledged writes);
//   - tenantplugin.sync.version (gauge, {version}): the highest version
//     applied.
//
// The event lag is measured by the option [Metrics.EventLag] gives, to
// be passed to [tenantsync.Start]. A nil s is refused, and so is a second
// ObserveSyncer.
func (m *Metrics) ObserveSyncer(s SyncerSource) error {
	if isNil(s) {
		return errors.New("tenantotel: ObserveSyncer: nil syncer")
	}
	return m.register("syncer", func() (metric.Registration, error) {
		var errs []error
		gauge := func(name, unit, desc string) metric.Int64ObservableGauge {
			g, err := m.meter.Int64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
			errs = append(errs, err)
			return g
		}
		counter := func(name, unit, desc string) metric.Int64ObservableCounter {
			c, err := m.meter.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
			errs = append(errs, err)
			return c
		}
		tenants := gauge("tenantplugin.sync.tenants", "{tenant}", "Tenants the config watcher applied.")
		applied := counter("tenantplugin.sync.applied", "{change}", "Tenant changes the config watcher applied.")
		refused := counter("tenantplugin.sync.refused", "{change}", "Tenant changes the config watcher refused, keeping the last good config.")
		stale := counter("tenantplugin.sync.stale", "{announcement}", "Announcements overtaken by a later change when read.")
		staleReads := counter("tenantplugin.sync.stale_reads", "{read}", "Tenant configs read older than their announcement (a lagging replica), not applied.")
		resyncs := counter("tenantplugin.sync.resyncs", "{resync}", "Full resyncs of the config watcher.")
		empty := counter("tenantplugin.sync.empty_store", "{resync}", "Resyncs that found the store empty while tenants were known.")
		corrected := counter("tenantplugin.sync.corrected", "{tenant}", "Tenants set again because the store's history was rewritten.")
		version := gauge("tenantplugin.sync.version", "{version}", "The highest config version applied.")
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		return m.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
			st := s.Stats()
			o.ObserveInt64(tenants, int64(st.Tenants))
			o.ObserveInt64(applied, clamp(st.Applied))
			o.ObserveInt64(refused, clamp(st.Refused))
			o.ObserveInt64(stale, clamp(st.Stale))
			o.ObserveInt64(staleReads, clamp(st.StaleReads))
			o.ObserveInt64(resyncs, clamp(st.Resyncs))
			o.ObserveInt64(empty, clamp(st.EmptyStore))
			o.ObserveInt64(corrected, clamp(st.Corrected))
			o.ObserveInt64(version, clamp(st.LastVersion))
			return nil
		}, tenants, applied, refused, stale, staleReads, resyncs, empty, corrected, version)
	})
}

// EventLag returns the [tenantsync.WithEventLag] option that records
// each announced change's lag in tenantplugin.sync.event_lag (histogram,
// s): the time from the announcement's arrival in this process to the
// change applied (see WithEventLag for what it leaves out).
func (m *Metrics) EventLag() tenantsync.Option {
	return tenantsync.WithEventLag(func(d time.Duration) {
		m.eventLag.Record(context.Background(), d.Seconds())
	})
}
