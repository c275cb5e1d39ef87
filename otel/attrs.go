package tenantotel

import "go.opentelemetry.io/otel/attribute"

// ScopeName is the instrumentation scope of the package's meter.
const ScopeName = "github.com/tenantrouter/tenantplugin/otel"

// The attribute keys of the package's metrics and spans.
const (
	// TenantKey is the tenant id: on per-tenant metrics (unless
	// [WithoutTenantLabels]) and on statement spans. It is the key the
	// module's logs use too.
	TenantKey = attribute.Key("tenant")
	// RouteKey is where a statement went: "tenant" (a tenant's database)
	// or "reserved" (a reserved database, named by [AliasKey]).
	RouteKey = attribute.Key("tenantplugin.route")
	// AliasKey is a reserved database's alias.
	AliasKey = attribute.Key("tenantplugin.alias")
	// ReasonKey is why a statement was refused: a
	// [tenantplugin.Refusal]'s name ("missing_tenant", ...).
	ReasonKey = attribute.Key("tenantplugin.reason")
	// StateKey is a connection's state: "used" or "idle".
	StateKey = attribute.Key("tenantplugin.state")
	// StatusKey is a migration result's status: "migrated",
	// "up_to_date", "failed", "skipped" or "behind".
	StatusKey = attribute.Key("tenantplugin.status")
)

// The values of RouteKey and StateKey.
var (
	routeTenant   = RouteKey.String("tenant")
	routeReserved = RouteKey.String("reserved")
	stateUsed     = StateKey.String("used")
	stateIdle     = StateKey.String("idle")
)
