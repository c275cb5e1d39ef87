package tenantplugin

import "errors"

var (
	// ErrUnknownAlias is returned when a statement is routed to a reserved
	// alias that the plugin's [Config] does not define. No SQL is sent.
	ErrUnknownAlias = errors.New("tenantplugin: unknown reserved alias")

	// ErrCrossDatabase is returned when a statement would cross
	// databases: it runs inside a transaction but its context or a
	// strategy routes it to another database than the transaction's; or
	// it names relations that live in different databases (a tenant table
	// and a reserved one, in its SQL, its joins or its subqueries); or a
	// migration reaches a table of another database (GORM migrating a
	// model's associations). The statement is not sent; the message says
	// which tables and databases, and what to do instead.
	ErrCrossDatabase = errors.New("tenantplugin: statement crosses databases")

	// ErrUnreadableSQL is returned when the plugin must read a
	// statement's SQL to route it (strategies are installed) and cannot:
	// an unterminated comment, string or quoted identifier. No SQL is
	// sent.
	ErrUnreadableSQL = errors.New("tenantplugin: cannot read the SQL to route it")

	// ErrBypassedRouting is returned when SQL reaches the plugin's root
	// connection pool through a path that skipped routing, such as a
	// statement cache that sits in front of it. No SQL is sent.
	ErrBypassedRouting = errors.New("tenantplugin: statement bypassed routing")
)
