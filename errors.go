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
	// an unterminated comment, string or quoted identifier; or the SQL
	// text of a *sql.Stmt handed to a transaction's StmtContext, should
	// database/sql stop keeping it where the plugin reads it. No SQL is
	// sent.
	ErrUnreadableSQL = errors.New("tenantplugin: cannot read the SQL to route it")

	// ErrBypassedRouting is returned when a statement would reach a
	// database by a path the plugin cannot route: a connection pinned with
	// db.Connection (it is the central database's) and the transactions
	// begun on it, a transaction the plugin did not begin (a *sql.Tx set
	// as the pool, unless handed over with [AdoptTx]), tx.DB() and
	// tx.Connection inside a transaction, GetDBConn of a tenant's pool, or
	// SQL that reaches the plugin's root pool past its callbacks (a
	// statement cache in front of it). No SQL is sent.
	ErrBypassedRouting = errors.New("tenantplugin: statement bypassed routing")
)
