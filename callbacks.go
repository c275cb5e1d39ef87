package tenantplugin

import (
	"fmt"
	"regexp"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/tenantrouter/tenantplugin/internal/sqlerr"
	"github.com/tenantrouter/tenantplugin/internal/stmtcache"
	"github.com/tenantrouter/tenantplugin/internal/stmtkey"
)

// registerCallbacks puts the routing callback first on every processor,
// so that it runs before GORM's implicit transaction begins.
func (p *Plugin) registerCallbacks(db *gorm.DB) error {
	cb := db.Callback()
	procs := []struct {
		op  Op
		reg func(string, func(*gorm.DB)) error
	}{
		{OpQuery, cb.Query().Before("*").Register},
		{OpRow, cb.Row().Before("*").Register},
		{OpCreate, cb.Create().Before("*").Register},
		{OpUpdate, cb.Update().Before("*").Register},
		{OpDelete, cb.Delete().Before("*").Register},
		{OpRaw, cb.Raw().Before("*").Register},
	}
	for _, pr := range procs {
		op := pr.op
		if err := pr.reg(stmtkey.Callback, func(db *gorm.DB) { p.route(db, op) }); err != nil {
			return fmt.Errorf("tenantplugin: register %s callback: %w", op, err)
		}
	}
	return nil
}

// route sets db.Statement.ConnPool to the pool the statement must run on.
// On failure the statement gets the error and a pool that refuses
// everything, so no SQL can leave.
func (p *Plugin) route(db *gorm.DB, op Op) {
	if db.Error != nil {
		return
	}
	if err := p.routeStatement(db.Statement, op); err != nil {
		db.Statement.ConnPool = failPool{err}
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

func (p *Plugin) routeStatement(stmt *gorm.Statement, op Op) error {
	prepared := stmt.DB.PrepareStmt
	cur := stmt.ConnPool

	if tx := txOf(cur); tx != nil {
		return p.routeInTx(stmt, op, tx, prepared)
	}
	if _, ok := cur.(gorm.TxCommitter); ok {
		// A transaction the plugin did not begin (GORM's implicit one, or
		// the caller's own *sql.Tx): it already has its database.
		return nil
	}

	if alias, ok := explicitAlias(stmt); ok {
		rc, err := p.reservedConn(alias, prepared, true)
		if err != nil {
			return err
		}
		stmt.ConnPool = rc
		return nil
	}

	route := p.decide(p.view(stmt, op))
	if alias, ok := route.Alias(); ok {
		rc, err := p.reservedConn(alias, prepared, false)
		if err != nil {
			return err
		}
		stmt.ConnPool = rc
		return nil
	}

	access := AccessWrite
	if prepared {
		access |= AccessPrepared
	}
	if isRead(stmt, op, p.replicas != nil && p.replicas.HasReplicas()) {
		access |= AccessRead
	}
	_, pool, err := p.tenantPool(stmt.Context, access)
	if err != nil {
		return err
	}
	stmt.ConnPool = pool
	return nil
}

// routeInTx keeps a statement on its transaction, and refuses it when its
// context or an explicit decision names another database.
func (p *Plugin) routeInTx(stmt *gorm.Statement, op Op, tx *rootTx, prepared bool) error {
	want, decided := Route{}, false
	if alias, ok := explicitAlias(stmt); ok {
		want, decided = Reserved(alias), true
	} else if len(p.strategies) > 0 {
		want, decided = p.strategies.Route(p.view(stmt, op))
	}
	switch {
	case decided && want != tx.route:
		return fmt.Errorf("%w: %s statement routes to %s, transaction is on %s",
			ErrCrossDatabase, op, want, tx.where())
	case tx.route == TenantRoute:
		if tenant, ok := FromContext(stmt.Context); ok && tenant != tx.tenant {
			return fmt.Errorf("%w: context has tenant %q, transaction is on %s",
				ErrCrossDatabase, tenant, tx.where())
		}
	}
	if prepared && tx.prepared != nil {
		stmt.ConnPool = tx.prepared
	} else {
		stmt.ConnPool = tx
	}
	return nil
}

// txOf returns the plugin's transaction under cur, or nil.
func txOf(cur gorm.ConnPool) *rootTx {
	switch c := cur.(type) {
	case *rootTx:
		return c
	case *stmtcache.Tx:
		t, _ := c.Tx.(*rootTx)
		return t
	case *gorm.PreparedStmtTX:
		// A session with PrepareStmt wraps the transaction in GORM's own
		// cache; routeInTx replaces it with the pool's.
		t, _ := c.Tx.(*rootTx)
		return t
	}
	return nil
}

// explicitAlias returns the alias set by reserved.Use on this statement or
// on the session it came from.
func explicitAlias(stmt *gorm.Statement) (string, bool) {
	if rc, ok := stmt.ConnPool.(*reservedConn); ok && rc.pinned {
		return rc.alias, true
	}
	if c, ok := stmt.Clauses[stmtkey.Use]; ok {
		u, ok := c.Expression.(stmtkey.UseAlias)
		return u.Alias, ok
	}
	return "", false
}

// view builds what strategies see of a statement.
func (p *Plugin) view(stmt *gorm.Statement, op Op) Statement {
	s := Statement{Context: stmt.Context, Op: op, Table: stmt.Table, Model: stmt.Model, Schema: stmt.Schema}
	if s.Table == "" && s.Schema != nil {
		s.Table = s.Schema.Table
	}
	if s.Table == "" && stmt.SQL.Len() > 0 {
		// Raw SQL (Raw, Exec, and Raw(...).Scan, which runs as a row
		// statement).
		s.Table = tableFromSQL(stmt.SQL.String())
	}
	return s
}

var sqlTable = regexp.MustCompile(`(?i)\b(?:FROM|INTO|UPDATE|JOIN)\s+["` + "`" + `]?([\w.]+)`)

// tableFromSQL returns the first table named after FROM, INTO, UPDATE or
// JOIN, without schema qualification or quotes.
func tableFromSQL(sql string) string {
	m := sqlTable.FindStringSubmatch(sql)
	if m == nil {
		return ""
	}
	t := m[1]
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		t = t[i+1:]
	}
	return t
}

// The settings keys of gorm.io/plugin/dbresolver's Read and Write
// clauses, honoured so that db.Clauses(dbresolver.Write) sends a read to
// the primary.
const (
	dbresolverWrite = "gorm:db_resolver:write"
	dbresolverRead  = "gorm:db_resolver:read"
)

// isRead reports whether a statement may go to a replica. The dbresolver
// markers are looked up only when replicas exist: the first look-up in a
// statement's Settings allocates.
func isRead(stmt *gorm.Statement, op Op, markers bool) bool {
	if markers {
		if _, ok := stmt.Settings.Load(dbresolverWrite); ok {
			return false
		}
		if _, ok := stmt.Settings.Load(dbresolverRead); ok {
			return true
		}
	}
	if stmt.SQL.Len() > 0 { // raw SQL, built before the callbacks
		return isSelect(stmt.SQL.String())
	}
	switch op {
	case OpQuery, OpRow:
		_, locking := stmt.Clauses[clause.Locking{}.Name()]
		return !locking
	}
	return false
}

func isSelect(sql string) bool {
	s := strings.TrimSpace(sql)
	if len(s) < 7 || !strings.EqualFold(s[:6], "select") {
		return false
	}
	l := strings.ToLower(s)
	return !strings.Contains(l, " for update") && !strings.Contains(l, " for share") &&
		!strings.Contains(l, " for no key update") && !strings.Contains(l, " for key share")
}
