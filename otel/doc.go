// Package tenantotel makes the tenant plugin observable with
// OpenTelemetry: metrics of routing, pools, the config watcher and
// migrations, and the tenant on GORM's statement spans. It lives in the
// folder otel/ and is named tenantotel, so that it sits beside
// go.opentelemetry.io/otel with no alias:
//
//	import "github.com/tenantrouter/tenantplugin/otel" // package tenantotel
//
// # Usage
//
//	m, err := tenantotel.NewMetrics(meterProvider) // or with tenantotel.WithoutTenantLabels()
//	defer m.Close()
//	err = m.ObserveRouting(db)    // statements routed by route, refused by reason
//	err = m.ObserveResolver(res)  // pools, connections, budget waits: in total and per tenant
//	syncer, err := tenantsync.Start(ctx, store, res, m.EventLag())
//	err = m.ObserveSyncer(syncer) // changes applied and refused, resyncs, corrections
//	report, err := migrate.Apply(ctx, db, tenants, step, m.MigrateProgress(tenantotel.MigrateLog(logger)))
//
//	err = db.Use(tenantotel.Tracing()) // the tenant on each statement's span
//
// # Cost
//
// Nothing is added to a statement's path but one atomic add per routed
// statement, which the plugin does whether or not it is observed: the
// observed metrics are read from the sources' Stats when the meter
// provider collects. The tracing callback returns at once when the
// statement's span is not recording.
//
// # Cardinality
//
// Per-tenant series (a tenant's pool connections and waits, migration
// results) carry the tenant id ([TenantKey]): one series per tenant with
// an open pool. [WithoutTenantLabels] sums them over the tenants, for
// deployments with very many tenants. Statement counts are never per
// tenant (that would cost routing a map look-up): spans carry the tenant
// of each statement.
//
// # Logs
//
// State changes are logged by the packages that make them, with the
// tenant as the attribute "tenant": the resolver (tenant added, changed,
// removed; pool opened, swapped, evicted, closed) and tenantsync (each
// resync, each refused change, a rewritten history). [MigrateLog] logs
// migration results. Nothing is logged per statement.
//
// # Errors
//
// [NewMetrics] refuses a nil provider and invalid options; each Observe
// method refuses a nil source, a *gorm.DB without the plugin, a second
// source of the same kind, and a closed Metrics ([ErrClosed]).
//
// # Concurrency
//
// A Metrics is safe for concurrent use; the meter provider may collect
// from any goroutine. It starts no goroutine.
package tenantotel
