package tenantotel

import (
	"errors"
	"fmt"
	"reflect"
	"sync"

	"go.opentelemetry.io/otel/metric"
)

// ErrClosed is returned by the Observe methods of a [Metrics] that was
// closed.
var ErrClosed = errors.New("tenantotel: metrics closed")

// Metrics exports the module's metrics through an OpenTelemetry meter.
// The observed counts (routing, pools, the watcher) are read from the
// sources' Stats when the meter provider collects, never on a
// statement's path; migration results and the watcher's event lag are
// recorded as they happen. Create it with [NewMetrics], add the sources
// with the Observe methods, and stop it with [Metrics.Close].
type Metrics struct {
	meter      metric.Meter
	perTenant  bool
	migrations metric.Int64Counter
	migrateDur metric.Float64Histogram
	eventLag   metric.Float64Histogram

	mu       sync.Mutex
	regs     []metric.Registration
	observed map[string]bool // the kinds of source observed
	closed   bool
}

// Bucket boundaries, in seconds, of the duration histograms.
var (
	lagBuckets     = []float64{0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	migrateBuckets = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}
)

// NewMetrics returns a Metrics whose instruments come from mp's meter
// [ScopeName]. A nil mp or an invalid option is refused.
func NewMetrics(mp metric.MeterProvider, opts ...Option) (*Metrics, error) {
	if isNil(mp) {
		return nil, errors.New("tenantotel: nil MeterProvider")
	}
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	m := &Metrics{meter: mp.Meter(ScopeName), perTenant: !o.noTenantLabels, observed: map[string]bool{}}
	var errs [3]error
	m.migrations, errs[0] = m.meter.Int64Counter("tenantplugin.migrate.results", metric.WithUnit("{database}"),
		metric.WithDescription("Databases finished by migration runs given MigrateProgress, by status."))
	m.migrateDur, errs[1] = m.meter.Float64Histogram("tenantplugin.migrate.duration", metric.WithUnit("s"),
		metric.WithDescription("Time each database of a migration run took, by status."),
		metric.WithExplicitBucketBoundaries(migrateBuckets...))
	m.eventLag, errs[2] = m.meter.Float64Histogram("tenantplugin.sync.event_lag", metric.WithUnit("s"),
		metric.WithDescription("Time from an announced tenant change's arrival to its application by the watcher."),
		metric.WithExplicitBucketBoundaries(lagBuckets...))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("tenantotel: %w", err)
	}
	return m, nil
}

// register runs build, which creates a source's instruments and
// registers their callback, once per kind of source.
func (m *Metrics) register(kind string, build func() (metric.Registration, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closed:
		return ErrClosed
	case m.observed[kind]:
		return fmt.Errorf("tenantotel: a %s is observed already: use one Metrics per %s", kind, kind)
	}
	reg, err := build()
	if err != nil {
		return fmt.Errorf("tenantotel: %s metrics: %w", kind, err)
	}
	m.observed[kind] = true
	m.regs = append(m.regs, reg)
	return nil
}

// Close unregisters the callbacks of the observed sources: the meter
// provider no longer reads them. Migration results and event lags given
// afterwards are still recorded. A second Close does nothing.
func (m *Metrics) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	var errs []error
	for _, r := range m.regs {
		errs = append(errs, r.Unregister())
	}
	m.regs = nil
	return errors.Join(errs...)
}

// isNil reports whether v is nil, or a nil pointer in an interface.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}
