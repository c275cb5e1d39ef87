package tenantotel

import (
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// TracingName is the name of the plugin [Tracing] returns, and of the
// callback it registers.
const TracingName = "tenantotel:tracing"

// Tracing returns a GORM plugin that labels the span of each statement
// with its tenant ([TenantKey], when the context has a valid one) and,
// when the tenant plugin routed it, its route ([RouteKey], [AliasKey]).
// Install it with db.Use, before or after gorm.io/plugin/opentelemetry:
//
//	db.Use(tracing.NewPlugin())       // gorm.io/plugin/opentelemetry/tracing: a span per statement
//	db.Use(tenantotel.Tracing())      // the tenant on those spans
//
// Its callback runs after the statement, before the span of
// gorm.io/plugin/opentelemetry ends (that plugin starts the span just
// before GORM's own callback and ends it just after; the callback is
// registered before "otel:after:<op>"). It labels the span in the
// statement's context only when that span is recording: when the
// application does not trace, it returns at once and allocates nothing
// (BenchmarkTracing). Without a plugin that
// starts a span per statement, the span in the context is the caller's
// (a request's, say): it gets the tenant, and the route of its last
// statement.
func Tracing() gorm.Plugin { return tracingPlugin{} }

type tracingPlugin struct{}

func (tracingPlugin) Name() string { return TracingName }

// Initialize registers the labelling callback on GORM's six processors,
// each before the callback of gorm.io/plugin/opentelemetry that ends the
// processor's span ("otel:after:<op>"). A second Initialize on the same
// *gorm.DB changes nothing.
func (tracingPlugin) Initialize(db *gorm.DB) error {
	cb := db.Callback()
	procs := []struct {
		otelAfter string
		get       func(string) func(*gorm.DB)
		register  func(string, func(*gorm.DB)) error
	}{
		{"otel:after:create", cb.Create().Get, cb.Create().Before("otel:after:create").Register},
		{"otel:after:select", cb.Query().Get, cb.Query().Before("otel:after:select").Register},
		{"otel:after:update", cb.Update().Get, cb.Update().Before("otel:after:update").Register},
		{"otel:after:delete", cb.Delete().Get, cb.Delete().Before("otel:after:delete").Register},
		{"otel:after:row", cb.Row().Get, cb.Row().Before("otel:after:row").Register},
		{"otel:after:raw", cb.Raw().Get, cb.Raw().Before("otel:after:raw").Register},
	}
	for _, p := range procs {
		if p.get(TracingName) != nil {
			continue
		}
		if err := p.register(TracingName, labelSpan); err != nil {
			return fmt.Errorf("tenantotel: register the callback before %s: %w", p.otelAfter, err)
		}
	}
	return nil
}

// labelSpan labels the span in the statement's context.
func labelSpan(db *gorm.DB) {
	span := trace.SpanFromContext(db.Statement.Context)
	if !span.IsRecording() {
		return
	}
	var kv [3]attribute.KeyValue
	n := 0
	if id, ok := tenant.FromContext(db.Statement.Context); ok && tenant.ValidateID(id) == nil {
		kv[n] = TenantKey.String(id)
		n++
	}
	if r, ok := tenantplugin.StatementRoute(db); ok {
		if alias, ok := r.Alias(); ok {
			kv[n], kv[n+1] = routeReserved, AliasKey.String(alias)
			n += 2
		} else {
			kv[n] = routeTenant
			n++
		}
	}
	if n > 0 {
		span.SetAttributes(kv[:n]...)
	}
}
