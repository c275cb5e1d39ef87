package tenantplugin

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/internal/sqlerr"
	"github.com/tenantrouter/tenantplugin/internal/stmtcache"
	"github.com/tenantrouter/tenantplugin/internal/stmtkey"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// unrouteCallback is the name of the callback that takes a statement's
// routed pool off it once the statement has run.
const unrouteCallback = "tenantplugin:unroute"

// registerCallbacks puts the routing callback first on every processor,
// so that it runs before GORM's implicit transaction begins, and the
// unrouting callback last.
func (p *Plugin) registerCallbacks(db *gorm.DB) error {
	cb := db.Callback()
	type register func(string, func(*gorm.DB)) error
	procs := []struct {
		op          Op
		first, last register
	}{
		{OpQuery, cb.Query().Before("*").Register, cb.Query().After("*").Register},
		{OpRow, cb.Row().Before("*").Register, cb.Row().After("*").Register},
		{OpCreate, cb.Create().Before("*").Register, cb.Create().After("*").Register},
		{OpUpdate, cb.Update().Before("*").Register, cb.Update().After("*").Register},
		{OpDelete, cb.Delete().Before("*").Register, cb.Delete().After("*").Register},
		{OpRaw, cb.Raw().Before("*").Register, cb.Raw().After("*").Register},
	}
	for _, pr := range procs {
		op := pr.op
		if err := pr.first(stmtkey.Callback, func(db *gorm.DB) { p.route(db, op) }); err != nil {
			return fmt.Errorf("tenantplugin: register %s callback: %w", op, err)
		}
		if err := pr.last(unrouteCallback, p.unroute); err != nil {
			return fmt.Errorf("tenantplugin: register %s callback: %w", op, err)
		}
	}
	return rollBackOnPanic(db)
}

// writeSteps are the callbacks of GORM's write processors that run
// between the BEGIN and the COMMIT of its implicit transaction and call
// application code (hooks, and associations' own statements and hooks).
var writeSteps = []string{
	"gorm:before_create", "gorm:save_before_associations", "gorm:create", "gorm:save_after_associations", "gorm:after_create",
	"gorm:setup_reflect_value", "gorm:before_update", "gorm:update", "gorm:after_update",
	"gorm:before_delete", "gorm:delete_before_associations", "gorm:delete", "gorm:after_delete",
}

// rollBackOnPanic makes a panic that goes through GORM's implicit write
// transaction (a hook that panics) roll the transaction back on its way.
// GORM leaves the transaction open (its processor recovers nothing): its
// connection, and here the tenant's pool lease, would be held until the
// statement's context ends, which for a background job may be never.
func rollBackOnPanic(db *gorm.DB) error {
	cb := db.Callback()
	for _, proc := range []interface {
		Get(string) func(*gorm.DB)
		Replace(string, func(*gorm.DB)) error
	}{cb.Create(), cb.Update(), cb.Delete()} {
		for _, name := range writeSteps {
			step := proc.Get(name)
			if step == nil {
				continue
			}
			if err := proc.Replace(name, guardStep(step)); err != nil {
				return fmt.Errorf("tenantplugin: wrap %s: %w", name, err)
			}
		}
	}
	return nil
}

// rollBackPanicking, deferred, rolls back the implicit transaction GORM
// began for db when a panic goes through, and lets the panic go on.
func rollBackPanicking(db *gorm.DB) {
	r := recover()
	if r == nil {
		return
	}
	if started, _ := db.InstanceGet("gorm:started_transaction"); started == true {
		if tx, ok := db.Statement.ConnPool.(gorm.TxCommitter); ok {
			_ = tx.Rollback()
		}
	}
	panic(r)
}

// route sets db.Statement.ConnPool to the pool the statement must run on.
// On failure the statement gets the error and a pool that refuses
// everything, so no SQL can leave.
func (p *Plugin) route(db *gorm.DB, op Op) {
	if db.Error != nil {
		return
	}
	if db.DryRun {
		// DryRun sends nothing, so ToSQL works without a tenant; the dry
		// pool keeps GORM's implicit transaction from sending a BEGIN.
		if _, ok := db.Statement.ConnPool.(gorm.TxCommitter); !ok {
			db.Statement.ConnPool = dryRunPool{}
		}
		return
	}
	if err := p.routeStatement(db.Statement, op); err != nil {
		p.refused(err)
		db.Statement.ConnPool = refusing(db.Statement.ConnPool, err)
		_ = db.AddError(err)
		if op == OpRow {
			// db.Row() returns Dest as a *sql.Row, nil after an error:
			// give it a row that reports the error instead of panicking.
			if rows, ok := db.Statement.Settings.Load("rows"); ok && rows == false {
				db.Statement.Dest = sqlerr.Row(db.Statement.Context, err)
			}
		}
	}
}

// unroute takes the pool routing installed off a statement that has run,
// so that a *gorm.DB chain used again (with the same context or another)
// is routed again, and a Begin on it goes through the routing pool.
// Transactions and pins set by reserved.Use stay.
//
// It counts the statements reserved.Use sent (it runs once per
// statement, while routing also runs when the clause is given: its
// ModifyStatement routes at once, so that a Begin that follows is on
// the alias).
func (p *Plugin) unroute(db *gorm.DB) {
	switch c := db.Statement.ConnPool.(type) {
	case failTx:
		db.Statement.ConnPool = c.tx // refused: nothing to count
		return
	case gorm.TxCommitter:
		if !db.DryRun {
			if alias, ok := explicitAlias(db.Statement); ok {
				p.countRoute(ReservedRoute(alias))
			}
		}
		return
	case *reservedConn:
		if c.pinned {
			c.routed.add()
			return
		}
	}
	db.Statement.ConnPool = db.Config.ConnPool
}

func (p *Plugin) routeStatement(stmt *gorm.Statement, op Op) error {
	prepared := stmt.DB.PrepareStmt
	cur := stmt.ConnPool

	if err := refuseDBResolverUse(stmt); err != nil {
		return err
	}
	// A statement of the *gorm.DB itself or of a session (most) is on the
	// router, which is neither a transaction nor a foreign pool: it skips
	// their interface checks.
	if _, onRouter := cur.(*router); !onRouter {
		if tx, ok := txOf(cur); ok {
			return p.routeInTx(stmt, op, tx, prepared)
		}
		if foreign(cur) {
			return p.refuseForeign(stmt, op, cur)
		}
	}

	if alias, ok := explicitAlias(stmt); ok {
		rc, err := p.reservedConn(alias, prepared, true)
		if err != nil {
			return err
		}
		stmt.ConnPool = rc // counted by unroute
		return nil
	}

	var d decision
	if len(p.strategies) > 0 {
		var err error
		if d, err = p.strategyRoute(stmt, op); err != nil {
			return err
		}
	}
	if alias, ok := d.route.Alias(); ok {
		rc, err := p.reservedConn(alias, prepared, false)
		if err != nil {
			return err
		}
		rc.routed.add()
		stmt.ConnPool = p.checked(rc, d.route, d.text)
		return nil
	}

	access := AccessWrite
	if prepared {
		access |= AccessPrepared
	}
	if p.replicas.HasReplicas() && isRead(stmt, op) {
		access |= AccessRead
	}
	_, pool, err := p.tenantPool(stmt.Context, access)
	if err != nil {
		return err
	}
	p.routedTenant.add()
	stmt.ConnPool = p.checked(pool, TenantRoute(), d.text)
	return nil
}

// checked returns pool as it goes on a statement routed to on, whose
// route was decided by reading the raw SQL read (if any): with its SQL
// checked on the way out when strategies are installed (checked.go).
func (p *Plugin) checked(pool gorm.ConnPool, on Route, read string) gorm.ConnPool {
	if !p.checks() {
		return pool
	}
	return &checkedPool{pool: pool, p: p, on: on, read: read}
}

// foreign reports whether pool is a transaction or a pinned connection
// that the plugin did not begin: the database it is on is unknown.
func foreign(pool gorm.ConnPool) bool {
	switch pool.(type) {
	case gorm.TxCommitter, *sql.Conn:
		return true
	}
	return false
}

// refuseForeign is the error for a statement on a foreign pool. When the
// statement has no route at all it wraps tenant.ErrMissing too, as it would
// without the foreign pool.
func (p *Plugin) refuseForeign(stmt *gorm.Statement, op Op, pool gorm.ConnPool) error {
	what := "a transaction the plugin did not begin (db.Connection, or a *sql.Tx set as the pool)"
	hint := "begin transactions with Begin or Transaction on the routed *gorm.DB, or adopt your own with tenantplugin.AdoptTx"
	if _, ok := pool.(*sql.Conn); ok {
		what = "a connection pinned by db.Connection, which belongs to the database the *gorm.DB was opened with"
		hint = "use Transaction to pin a tenant's connection"
	}
	err := fmt.Errorf("%w: %s statement runs on %s; %s", ErrBypassedRouting, op, what, hint)
	if _, ok := explicitAlias(stmt); ok {
		return err
	}
	if _, ok := tenant.FromContext(stmt.Context); ok {
		return err
	}
	if d, derr := p.strategyRoute(stmt, op); derr == nil && !d.decided {
		return fmt.Errorf("%w: %w", tenant.ErrMissing, err)
	}
	return err
}

// boundTx is what routeStatement knows of a transaction: its database,
// and what to install on its statements.
type boundTx struct {
	route    Route
	pinned   bool          // begun under reserved.Use
	tenant   string        // for the tenant route
	conn     gorm.Tx       // the transaction itself
	prepared *stmtcache.Tx // through the pool's statement cache, or nil
}

func (t boundTx) where() string {
	if t.route.alias != "" {
		return t.route.String()
	}
	return fmt.Sprintf("tenant %q", t.tenant)
}

// txOf recognises the transactions whose database the plugin knows.
func txOf(cur gorm.ConnPool) (boundTx, bool) {
	switch c := cur.(type) {
	case *checkedTx:
		return txOf(c.Tx)
	case *rootTx:
		return c.bound(), true
	case *directTx:
		return c.bound(), true
	case *stmtcache.Tx:
		if t, ok := c.Tx.(*rootTx); ok {
			return t.bound(), true
		}
	case *gorm.PreparedStmtTX:
		// A session with PrepareStmt wraps the transaction in GORM's own
		// cache, keyed by SQL across databases: replace it.
		switch t := c.Tx.(type) {
		case *rootTx:
			return t.bound(), true
		case *directTx:
			return t.bound(), true
		case *checkedTx: // the session of a statement's transaction, in a hook
			return txOf(t.Tx)
		case TenantTx:
			return boundTx{route: TenantRoute(), tenant: t.TxTenant(), conn: t}, true
		}
	case TenantTx:
		return boundTx{route: TenantRoute(), tenant: c.TxTenant(), conn: c}, true
	}
	return boundTx{}, false
}

// routeInTx keeps a statement on its transaction, and refuses it when its
// context or an explicit decision names another database.
func (p *Plugin) routeInTx(stmt *gorm.Statement, op Op, tx boundTx, prepared bool) error {
	var d decision
	alias, explicit := explicitAlias(stmt)
	switch {
	case explicit:
		d = decision{route: ReservedRoute(alias), decided: true}
	case tx.pinned:
		// A transaction begun under reserved.Use (or by a migration the
		// plugin pinned to its model's database) is explicit too: its
		// statements go to its database as reserved.Use's do, unread
		// (GORM's SQLite migrator rebuilds a table through a
		// "<table>__temp" table no strategy knows).
		d = decision{route: tx.route, decided: true}
	default:
		var err error
		if d, err = p.strategyRoute(stmt, op); err != nil {
			return err
		}
	}
	if err := tx.admits(stmt.Context, op, d); err != nil {
		return err
	}
	conn := tx.conn
	if prepared && tx.prepared != nil {
		conn = tx.prepared
	}
	if !explicit && !tx.pinned && p.checks() {
		conn = &checkedTx{Tx: conn, p: p, on: tx.route}
	}
	if !explicit { // else counted by unroute
		p.countRoute(tx.route)
	}
	stmt.ConnPool = conn
	return nil
}

// admits checks a statement of the transaction, given where an explicit
// clause or the strategies send it.
func (t boundTx) admits(ctx context.Context, op Op, d decision) error {
	tenant, hasTenant := tenant.FromContext(ctx)
	switch {
	case d.decided && d.route != t.route:
		on := ""
		if d.table != "" {
			on = fmt.Sprintf(" on table %q", d.table)
		}
		return fmt.Errorf("%w: %s statement%s routes to %s, but the transaction is on %s: a transaction holds one database; "+
			"run the statement outside the transaction (before it or after its Commit), or in a transaction of its own",
			ErrCrossDatabase, op, on, d.route, t.where())
	case t.route == TenantRoute() && hasTenant && tenant != t.tenant:
		return fmt.Errorf("%w: context has tenant %q, transaction is on %s",
			ErrCrossDatabase, tenant, t.where())
	case t.route != TenantRoute() && !t.pinned && !d.decided && d.tenantTable != "":
		// A tenant table's statement in a transaction on a reserved
		// database (GORM saving a reserved model's tenant association
		// in its implicit transaction, say), with or without a tenant.
		return fmt.Errorf("%w: %s statement on tenant table %q inside a transaction on %s: a tenant's rows cannot join a reserved database's transaction; "+
			"save them in statements of their own, with the tenant in the context (Omit the association and save it apart, or use SkipDefaultTransaction)",
			ErrCrossDatabase, op, d.tenantTable, t.where())
	case t.route != TenantRoute() && !t.pinned && !d.decided && hasTenant:
		// A statement that names no table, for a tenant, in a transaction
		// on a reserved database: only reserved.Use or a strategy may
		// send it there.
		return fmt.Errorf("%w: %s statement for tenant %q, transaction is on %s (use reserved.Use to send it there)",
			ErrCrossDatabase, op, tenant, t.where())
	case t.route != TenantRoute() && !t.pinned && !d.decided && d.unread && ctx.Value(txControl{}) == nil:
		// Raw SQL unread (Config.NoTextRouting) goes to the tenant,
		// without one as with one: not into a reserved database's
		// transaction. The dialector's savepoints are the plugin's own.
		return fmt.Errorf("%w: raw SQL inside a transaction on %s: with Config.NoTextRouting raw SQL goes to the tenant; "+
			"run it outside the transaction with the tenant in the context, or send it with reserved.Use if it is the reserved database's",
			ErrCrossDatabase, t.where())
	}
	return nil
}

// checkTxControl checks a transaction control statement that a dialector
// sends for db (SAVEPOINT, ROLLBACK TO): on the plugin's transactions its
// context must agree with the transaction, as any statement's; on a
// foreign pool it is refused. It names no table, so strategies see none.
func (p *Plugin) checkTxControl(db *gorm.DB) error {
	stmt := db.Statement
	cur := stmt.ConnPool
	if ps, ok := cur.(*gorm.PreparedStmtTX); ok {
		cur = ps.Tx
	}
	if tx, ok := txOf(cur); ok {
		var d decision
		if alias, ok := explicitAlias(stmt); ok {
			d = decision{route: ReservedRoute(alias), decided: true}
		} else if len(p.strategies) > 0 {
			d.route, d.decided = p.strategies.Route(Statement{Context: stmt.Context, Op: OpRaw})
		}
		return tx.admits(stmt.Context, OpRaw, d)
	}
	if foreign(cur) {
		return p.refuseForeign(stmt, OpRaw, cur)
	}
	return nil
}

// explicitAlias returns the alias set by reserved.Use on this statement or
// on the session it came from.
func explicitAlias(stmt *gorm.Statement) (string, bool) {
	// The clause first: a later reserved.Use on a pinned session names
	// the alias the user asked for last.
	// Presence first: a look-up that copies the clause out copies a
	// zero clause when there is none.
	if _, ok := stmt.Clauses[stmtkey.Use]; ok {
		if u, ok := stmt.Clauses[stmtkey.Use].Expression.(stmtkey.UseAlias); ok {
			return u.Alias, true
		}
	}
	if rc, ok := stmt.ConnPool.(*reservedConn); ok && rc.pinned {
		return rc.alias, true
	}
	return "", false
}

// dbresolverUsing is the clause key of gorm.io/plugin/dbresolver's Use.
const dbresolverUsing = "gorm:db_resolver:using"

// refuseDBResolverUse refuses dbresolver.Use, which the plugin (replacing
// dbresolver) would otherwise ignore: the statement would not go where
// the application asked.
func refuseDBResolverUse(stmt *gorm.Statement) error {
	if _, ok := stmt.Clauses[dbresolverUsing]; !ok {
		return nil
	}
	return fmt.Errorf("%w: dbresolver.Use (%v) is not read by tenantplugin, which replaces dbresolver: send the statement with reserved.Use",
		ErrUnknownAlias, stmt.Clauses[dbresolverUsing].Expression)
}
