package tenantplugin

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

// decision is what the strategies said of a statement.
type decision struct {
	route   Route
	decided bool
	// text is the raw SQL the decision read, if it read one: the SQL
	// sent, when it is the same, needs no second check.
	text string
	// tenantTable is the first relation the strategies left to the
	// tenant, if the statement names one.
	tenantTable string
	// table is the first relation the statement names, for messages.
	table string
	// unread: raw SQL that Config.NoTextRouting leaves unread, which
	// goes to the tenant.
	unread bool
}

// strategyRoute asks the strategies where a statement goes, once for
// every relation it names: its model's table or its Table(), the tables of
// its joins, and those its SQL fragments (Raw and Exec, Where, Select,
// subqueries) name, read by a lexer. They must agree: a statement whose
// relations live in different databases fails with ErrCrossDatabase. A
// statement that names no relation is asked about once, with no table.
func (p *Plugin) strategyRoute(stmt *gorm.Statement, op Op) (decision, error) {
	if len(p.strategies) == 0 {
		return decision{}, nil
	}
	a := acc{p: p, base: Statement{Context: stmt.Context, Op: op}}
	if stmt.SQL.Len() > 0 {
		// Raw SQL (Raw, Exec, Raw(...).Find, and the migrators'
		// statements): its text alone says what it reads, never the
		// destination's model.
		if p.cfg.NoTextRouting {
			return decision{unread: true}, nil
		}
		text := stmt.SQL.String()
		a.rawSQL(text)
		d, err := a.result()
		d.text = text
		return d, err
	}
	a.built(stmt, 0)
	return a.result()
}

// textRoute asks the strategies where SQL given to the router's own pool
// goes (code that calls db.ConnPool directly, outside GORM's callbacks):
// by the relations its text names, as for Raw and Exec.
func (p *Plugin) textRoute(ctx context.Context, sql string) (decision, error) {
	if len(p.strategies) == 0 {
		return decision{}, nil
	}
	if p.cfg.NoTextRouting {
		return decision{unread: true}, nil // to the tenant, as Raw's
	}
	a := acc{p: p, base: Statement{Context: ctx, Op: OpRaw}}
	a.rawSQL(sql)
	return a.result()
}

// maxDepth bounds the subqueries followed into.
const maxDepth = 8

// acc collects the routes of a statement's relations.
type acc struct {
	p    *Plugin
	base Statement

	n       int // relations asked about
	route   Route
	decided bool
	table   string // the first relation, for messages
	tenant  string // the first relation left to the tenant
	err     error
}

// add asks the strategies about one relation.
func (a *acc) add(table string, model any, sch *schema.Schema) {
	if a.err != nil {
		return
	}
	s := a.base
	s.Table, s.Model, s.Schema = table, model, sch
	r, ok := a.p.strategies.Route(s)
	a.merge(r, ok, table)
}

func (a *acc) merge(r Route, ok bool, table string) {
	if !ok {
		r = TenantRoute()
	}
	if r == TenantRoute() && a.tenant == "" {
		a.tenant = table
	}
	switch {
	case a.n == 0:
		a.route, a.table = r, table
	case r != a.route:
		a.err = fmt.Errorf("%w: the statement names %s (%s) and %s (%s); a statement cannot span databases: split it, or send it with reserved.Use",
			ErrCrossDatabase, quoteTable(a.table), a.route, quoteTable(table), r)
		return
	}
	a.n++
	a.decided = a.decided || ok
}

func quoteTable(t string) string {
	if t == "" {
		return "no table"
	}
	return fmt.Sprintf("table %q", t)
}

func (a *acc) result() (decision, error) {
	if a.err != nil {
		return decision{}, a.err
	}
	if a.n == 0 {
		// No relation: what the strategies say of the statement itself.
		r, ok := a.p.strategies.Route(a.base)
		return decision{route: r, decided: ok}, nil
	}
	if !a.decided {
		return decision{tenantTable: a.tenant}, nil
	}
	return decision{route: a.route, decided: true, tenantTable: a.tenant, table: a.table}, nil
}

// rawSQL routes a statement by its SQL text.
func (a *acc) rawSQL(sql string) {
	rels, err := a.p.tables.tables(sql, false)
	if err != nil {
		a.err = err
		return
	}
	// A look-up in the system catalogs that names no other relation
	// goes to the tenant (or is refused without one), whatever table a
	// bound value names: it may call functions that read any table
	// (query_to_xml, table_to_xml), which the lexer does not see. The
	// migrator runs a reserved model's whole migration on a session
	// pinned to its database (see migrator.go), so that its look-ups go
	// there.
	a.rels(rels)
}

// rels asks about the relations the lexer found. Catalog relations exist
// in every database: they are noted, not asked about.
func (a *acc) rels(rels relations) {
	for _, t := range rels.names {
		a.add(t, nil, nil)
	}
}

// text asks about the relations named in an SQL fragment.
func (a *acc) text(sql string, from bool) {
	if sql == "" || a.err != nil || a.p.cfg.NoTextRouting {
		return
	}
	rels, err := a.p.tables.tables(sql, from)
	if err != nil {
		a.err = err
		return
	}
	a.rels(rels)
}

// built routes a statement that GORM builds from its model and clauses.
func (a *acc) built(stmt *gorm.Statement, depth int) {
	if depth > maxDepth || a.err != nil {
		return
	}
	// An explicit Table() beats the model's type. GORM makes a
	// TableExpr of the model's own table when it names a schema
	// ("public.ledgers": a TableName method, a NamingStrategy's
	// TablePrefix): that one is the model's, asked about with its type.
	if te := stmt.TableExpr; te != nil && !modelTableExpr(stmt, te) {
		if a.p.cfg.NoTextRouting {
			a.add(stmt.Table, nil, nil)
		} else {
			a.text(te.SQL, true)
			a.vars(te.Vars, depth)
		}
	} else {
		sch := stmt.Schema
		table := stmt.Table
		if te != nil {
			table = sch.Table // the qualified name, as a TableName gives it
		}
		if table == "" && stmt.Model != nil {
			if sch = a.p.parse(stmt); sch != nil {
				table = sch.Table
			}
		}
		if table != "" || stmt.Model != nil {
			a.add(table, stmt.Model, sch)
		}
	}
	for _, j := range stmt.Joins {
		a.join(stmt, j.Name, j.Conds, depth)
	}
	for _, s := range stmt.Selects {
		if strings.ContainsAny(s, " (") {
			a.text(s, false)
		}
	}
	for _, c := range stmt.Clauses {
		a.expr(c.BeforeExpression, depth)
		a.expr(c.Expression, depth)
		a.expr(c.AfterExpression, depth)
	}
	a.dest(stmt.Dest, depth)
}

// modelTableExpr reports whether te is the TableExpr GORM makes of a
// statement's model's schema-qualified table (Statement.Parse), rather
// than one given with Table().
func modelTableExpr(stmt *gorm.Statement, te *clause.Expr) bool {
	sch := stmt.Schema
	return sch != nil && stmt.Model != nil && len(te.Vars) == 0 && strings.IndexByte(sch.Table, '.') >= 0 &&
		te.SQL == stmt.Quote(sch.Table)
}

// dest asks about the SQL expressions among the values a Create or an
// Update writes from maps.
func (a *acc) dest(dest any, depth int) {
	switch d := dest.(type) {
	case map[string]any:
		for _, v := range d {
			a.value(v, depth)
		}
	case *map[string]any:
		if d != nil {
			a.dest(*d, depth)
		}
	case []map[string]any:
		for _, m := range d {
			a.dest(m, depth)
		}
	case *[]map[string]any:
		if d != nil {
			a.dest(*d, depth)
		}
	}
}

// join asks about a Joins() argument: an association of the model, or
// SQL.
func (a *acc) join(stmt *gorm.Statement, name string, conds []any, depth int) {
	if stmt.Schema != nil && !strings.ContainsAny(name, " \t\n") {
		if rel := relation(stmt.Schema, name); rel != nil {
			if a.err != nil {
				return
			}
			fs := rel.FieldSchema
			a.add(fs.Table, reflect.New(fs.ModelType).Interface(), fs)
			if a.err != nil {
				a.err = fmt.Errorf("%w: Joins(%q) reads %s's table %q in the same statement: a join cannot reach another database; use Preload(%q), which reads it with a statement of its own",
					ErrCrossDatabase, name, fs.Name, fs.Table, name)
			}
			a.vars(conds, depth)
			return
		}
	}
	a.text(name, false)
	a.vars(conds, depth)
}

// relation finds a (possibly nested, "A.B") association of sch.
func relation(sch *schema.Schema, name string) *schema.Relationship {
	var rel *schema.Relationship
	for part := range strings.SplitSeq(name, ".") {
		if sch == nil {
			return nil
		}
		r, ok := sch.Relationships.Relations[part]
		if !ok {
			return nil
		}
		rel, sch = r, r.FieldSchema
	}
	return rel
}

// expr asks about the relations a clause expression names.
func (a *acc) expr(e clause.Expression, depth int) {
	if e == nil || a.err != nil {
		return
	}
	switch x := e.(type) {
	case clause.Expr:
		a.text(x.SQL, false)
		a.vars(x.Vars, depth)
	case *clause.Expr:
		if x != nil {
			a.text(x.SQL, false)
			a.vars(x.Vars, depth)
		}
	case clause.NamedExpr:
		a.text(x.SQL, false)
		a.vars(x.Vars, depth)
	case clause.Where:
		a.exprs(x.Exprs, depth)
	case clause.AndConditions:
		a.exprs(x.Exprs, depth)
	case clause.OrConditions:
		a.exprs(x.Exprs, depth)
	case clause.NotConditions:
		a.exprs(x.Exprs, depth)
	case clause.IN:
		a.vars(x.Values, depth)
	case clause.Eq:
		a.value(x.Value, depth)
	case clause.Neq:
		a.value(x.Value, depth)
	case clause.Gt:
		a.value(x.Value, depth)
	case clause.Gte:
		a.value(x.Value, depth)
	case clause.Lt:
		a.value(x.Value, depth)
	case clause.Lte:
		a.value(x.Value, depth)
	case clause.Like:
		a.value(x.Value, depth)
	case clause.Select:
		a.expr(x.Expression, depth)
		for _, c := range x.Columns {
			a.column(c)
		}
	case clause.GroupBy:
		for _, c := range x.Columns {
			a.column(c)
		}
		a.exprs(x.Having, depth)
	case clause.OrderBy:
		for _, c := range x.Columns {
			a.column(c.Column)
		}
		a.expr(x.Expression, depth)
	case clause.From:
		for _, t := range x.Tables {
			a.tableRef(t)
		}
		for _, j := range x.Joins {
			a.tableRef(j.Table)
			a.exprs(j.ON.Exprs, depth)
			a.expr(j.Expression, depth)
		}
	case clause.Set:
		for _, as := range x {
			a.value(as.Value, depth)
		}
	case clause.Insert:
		a.tableRef(x.Table)
	case clause.Returning:
		for _, c := range x.Columns {
			a.column(c)
		}
	case clause.OnConflict:
		a.exprs(x.Where.Exprs, depth)
		a.exprs(x.TargetWhere.Exprs, depth)
		a.expr(x.DoUpdates, depth)
	}
}

func (a *acc) exprs(es []clause.Expression, depth int) {
	for _, e := range es {
		a.expr(e, depth)
	}
}

// column asks about a raw column (Order("(SELECT ...)"), Group(...)).
func (a *acc) column(c clause.Column) {
	if c.Raw {
		a.text(c.Name, false)
	}
}

// tableRef asks about a table given as a clause.Table.
func (a *acc) tableRef(t clause.Table) {
	switch {
	case t.Raw:
		a.text(t.Name, true)
	case t.Name != "" && t.Name != clause.CurrentTable:
		a.add(t.Name, nil, nil)
	}
}

func (a *acc) vars(vs []any, depth int) {
	for _, v := range vs {
		a.value(v, depth)
	}
}

// value asks about a bound value that is itself SQL: a subquery, an
// expression or a table.
func (a *acc) value(v any, depth int) {
	switch x := v.(type) {
	case *gorm.DB:
		if x != nil && x.Statement != nil {
			sub := x.Statement
			if sub.SQL.Len() > 0 {
				a.text(sub.SQL.String(), false)
			} else {
				a.built(sub, depth+1)
			}
		}
	case clause.Expression:
		a.expr(x, depth+1)
	case clause.Table:
		a.tableRef(x)
	case []any:
		if depth < maxDepth {
			a.vars(x, depth+1)
		}
	}
}

// parse returns the schema of a statement's model that GORM has not
// parsed yet (a subquery's), from the plugin's own cache: parsing the
// statement itself would write to a *gorm.DB others may share.
func (p *Plugin) parse(stmt *gorm.Statement) *schema.Schema {
	if stmt.DB == nil || stmt.DB.Config == nil {
		return nil
	}
	sch, err := schema.Parse(stmt.Model, &p.schemas, stmt.DB.NamingStrategy)
	if err != nil {
		return nil
	}
	return sch
}

// The settings keys of gorm.io/plugin/dbresolver's Read and Write
// clauses, honoured so that db.Clauses(dbresolver.Write) sends a read to
// the primary.
const (
	dbresolverWrite = "gorm:db_resolver:write"
	dbresolverRead  = "gorm:db_resolver:read"
)

// isRead reports whether a statement may go to a replica, which is asked
// only when some tenant has replicas.
func isRead(stmt *gorm.Statement, op Op) bool {
	if _, ok := stmt.Settings.Load(dbresolverWrite); ok {
		return false
	}
	if _, ok := stmt.Settings.Load(dbresolverRead); ok {
		return true
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

// isSelect reports whether sql is a SELECT without a locking clause (FOR
// UPDATE, FOR SHARE, FOR NO KEY UPDATE, FOR KEY SHARE). It errs towards
// false, the primary: a comment or a string that reads "for update"
// makes it false too.
func isSelect(sql string) bool {
	s := strings.TrimSpace(sql)
	if len(s) < 7 || !strings.EqualFold(s[:6], "select") {
		return false
	}
	for i := 6; i+3 < len(s); i++ {
		if s[i]|0x20 != 'f' || !strings.EqualFold(s[i:i+3], "for") || isWordByte(s[i-1]) || !isSpace(s[i+3]) {
			continue
		}
		rest := strings.TrimLeft(s[i+3:], " \t\r\n")
		for _, w := range [...]string{"update", "share", "no", "key"} {
			if len(rest) >= len(w) && strings.EqualFold(rest[:len(w)], w) && (len(rest) == len(w) || !isWordByte(rest[len(w)])) {
				return false
			}
		}
	}
	return true
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' || c >= 0x80
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
