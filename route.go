package tenantplugin

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// Route is where a statement goes: the database of the tenant in its
// context, or a reserved database shared by all tenants. The zero Route is
// the tenant route.
type Route struct {
	alias string
}

// TenantRoute() returns the route to the database of the tenant in a
// statement's context: the zero Route.
func TenantRoute() Route { return Route{} }

// ReservedRoute returns the route to the reserved database named alias
// in [Config.ReservedPools].
func ReservedRoute(alias string) Route { return Route{alias: alias} }

// Alias returns the reserved alias of r, and false for the tenant route.
func (r Route) Alias() (string, bool) { return r.alias, r.alias != "" }

// String returns "tenant" or "reserved:<alias>".
func (r Route) String() string {
	if r.alias == "" {
		return "tenant"
	}
	return "reserved:" + r.alias
}

// Op is the kind of statement a strategy is asked about.
type Op uint8

// The operations, one per GORM callback processor, plus [OpBegin] for
// transactions begun without a statement and [OpMigrate] for migration
// runners that ask where a model's tables live.
const (
	OpQuery Op = iota + 1
	OpRow
	OpCreate
	OpUpdate
	OpDelete
	OpRaw
	OpBegin
	OpMigrate
)

var opNames = [...]string{"", "query", "row", "create", "update", "delete", "raw", "begin", "migrate"}

// String returns the operation's lower-case name.
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op(?)"
}

// Statement is what a [Strategy] sees of a statement.
type Statement struct {
	// Context is the statement's context.
	Context context.Context
	// Op is the kind of statement.
	Op Op
	// Table is one relation the statement names, as written (with its
	// schema when qualified, without quotes): the plugin asks the
	// strategies once for each relation a statement names (its model's
	// table or its Table(), the tables of its joins, and those its SQL,
	// Raw, Exec, Where, Select and subqueries, names), and they must
	// agree. Empty for a statement that names none, and for a
	// transaction's begin.
	Table string
	// Model is the model whose table Table is, for a GORM-built
	// statement's own table or an association joined; nil for relations
	// read from SQL (a Raw statement is routed by its text, never by the
	// destination's type).
	Model any
	// Schema is the parsed schema of Model, if any.
	Schema *schema.Schema
}

// Strategy decides where a statement goes. Route returns the route and
// true when it decides, or false to leave the decision to the next
// strategy. When no strategy decides, the statement goes to the tenant.
//
// A strategy is asked once for each relation a statement names, and
// must be able to decide from the table alone: Statement.Model is set
// only for a GORM-built statement's own table and its joined
// associations, and the SQL a statement finally sends is checked, before
// it is sent, relation by relation with Table only (a relation the
// strategies leave to the tenant is refused on a reserved database). A
// strategy that decides by model type must also decide by the model's
// table name, as reserved.Models does.
//
// Route is called for every statement, from many goroutines at once: it
// must be safe for concurrent use, fast, and must not run queries.
type Strategy interface {
	Route(s Statement) (Route, bool)
}

// StrategyInitializer is a [Strategy] that needs to know the *gorm.DB it
// serves: the plugin's Initialize calls Initialize once, and db.Use fails
// with its error. reserved.Models uses it to name its models' tables as
// the *gorm.DB does (its NamingStrategy).
type StrategyInitializer interface {
	Strategy
	Initialize(db *gorm.DB) error
}

// StrategyFunc adapts a function to a [Strategy].
type StrategyFunc func(s Statement) (Route, bool)

// Route calls f(s).
func (f StrategyFunc) Route(s Statement) (Route, bool) { return f(s) }

// strategyStack is a stack of strategies: the first one that decides wins,
// like Django's database routers.
type strategyStack []Strategy

// Route asks each strategy in order and returns the first decision.
func (ss strategyStack) Route(s Statement) (Route, bool) {
	for _, st := range ss {
		if r, ok := st.Route(s); ok {
			return r, true
		}
	}
	return Route{}, false
}

// RouteOf returns where the plugin installed on db sends statements like
// s, as decided by its strategies, and false when db has no plugin.
// Migration runners use it with [OpMigrate] to tell tenant models from
// reserved ones.
func RouteOf(db *gorm.DB, s Statement) (Route, bool) {
	p, ok := db.Config.Plugins[PluginName].(*Plugin)
	if !ok {
		return Route{}, false
	}
	r, _ := p.strategies.Route(s)
	return r, true
}

// ResolverOf returns the [Resolver] of the plugin installed on db
// (Config.Resolver), and false when db has no plugin. Tools that work on
// each tenant's database as a whole use it: migrate leases a tenant's
// *sql.DB through it for versioned SQL migrations.
func ResolverOf(db *gorm.DB) (Resolver, bool) {
	p, ok := db.Config.Plugins[PluginName].(*Plugin)
	if !ok {
		return nil, false
	}
	return p.cfg.Resolver, true
}

var (
	_ Strategy = StrategyFunc(nil)
	_ Strategy = strategyStack(nil)
)
