package tenantotel

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/tenantrouter/tenantplugin/migrate"
)

// MigrateProgress returns the [migrate.WithProgress] option that counts
// each database's result as it finishes, then calls next (when not nil;
// [MigrateLog] logs the results):
//
//   - tenantplugin.migrate.results (counter, {database}),
//   - tenantplugin.migrate.duration (histogram, s),
//
// both by [StatusKey], with [TenantKey] for a tenant (unless
// [WithoutTenantLabels]) or [AliasKey] for a reserved database. It
// counts the results of the run it is given to: Apply, Check (whose
// statuses are up_to_date, behind and failed) or ForEach.
func (m *Metrics) MigrateProgress(next func(migrate.Result)) migrate.Option {
	return migrate.WithProgress(func(r migrate.Result) {
		attrs := make([]attribute.KeyValue, 1, 2)
		attrs[0] = StatusKey.String(statusName(r.Status))
		switch {
		case r.Reserved != "":
			attrs = append(attrs, AliasKey.String(r.Reserved))
		case m.perTenant:
			attrs = append(attrs, TenantKey.String(r.Tenant))
		}
		set := metric.WithAttributeSet(attribute.NewSet(attrs...))
		ctx := context.Background()
		m.migrations.Add(ctx, 1, set)
		m.migrateDur.Record(ctx, r.Duration.Seconds(), set)
		if next != nil {
			next(r)
		}
	})
}

// statusName is a status as an attribute value: String in snake case.
func statusName(s migrate.Status) string {
	if s == migrate.StatusUpToDate {
		return "up_to_date"
	}
	return s.String()
}

// MigrateLog returns a function for [migrate.WithProgress] (or for
// [Metrics.MigrateProgress]'s next) that logs each database's result on
// l (slog.Default() when nil): the tenant as the attribute "tenant" (or
// the reserved database as "alias"), the status, the duration, the
// step's detail and the error. Failures are logged at Warn, skipped and
// behind databases at Info, migrated ones at Info, and databases already
// up to date at Debug.
func MigrateLog(l *slog.Logger) func(migrate.Result) {
	if l == nil {
		l = slog.Default()
	}
	return func(r migrate.Result) {
		level := slog.LevelInfo
		switch r.Status {
		case migrate.StatusFailed:
			level = slog.LevelWarn
		case migrate.StatusUpToDate:
			level = slog.LevelDebug
		}
		attrs := make([]slog.Attr, 0, 5)
		if r.Reserved != "" {
			attrs = append(attrs, slog.String("alias", r.Reserved))
		} else {
			attrs = append(attrs, slog.String("tenant", r.Tenant))
		}
		attrs = append(attrs, slog.String("status", r.Status.String()), slog.Duration("duration", r.Duration))
		if r.Detail != "" {
			attrs = append(attrs, slog.String("detail", r.Detail))
		}
		if r.Err != nil {
			attrs = append(attrs, slog.String("error", r.Err.Error()))
		}
		l.LogAttrs(context.Background(), level, "migration result", attrs...)
	}
}
