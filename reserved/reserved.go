package reserved

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/stmtkey"
)

// Use returns a clause that sends the session to the reserved database
// alias: every statement, and any transaction begun from it, whatever its
// context or the strategies say.
//
//	db.WithContext(ctx).Clauses(reserved.Use("central")).Find(&plans)
//	db.Clauses(reserved.Use("central")).Transaction(func(tx *gorm.DB) error { ... })
//
// It switches the session's pool at once, like dbresolver.Use, so that a
// following Begin starts on alias. An unknown alias makes the statement
// fail with tenantplugin.ErrUnknownAlias.
func Use(alias string) clause.Expression { return use{alias: alias} }

type use struct{ alias string }

// ModifyStatement records the alias and routes the statement right away.
func (u use) ModifyStatement(stmt *gorm.Statement) {
	stmt.Clauses[stmtkey.Use] = clause.Clause{Name: stmtkey.Use, Expression: stmtkey.UseAlias{Alias: u.alias}}
	if fc := stmt.DB.Callback().Query().Get(stmtkey.Callback); fc != nil {
		fc(stmt.DB)
	}
}

// Build writes nothing: the clause only routes.
func (use) Build(clause.Builder) {}

// Models returns a strategy that sends the tables of models to the
// reserved database alias, and leaves every other statement undecided.
// Models are matched by type (pointers and slices are looked through) and
// by table name, so Raw SQL naming their tables is routed too; the names
// are those the *gorm.DB gives them (its NamingStrategy, a TableName
// method), learnt when the plugin is installed. It panics if a model is
// nil, which is a programming error found at start-up; a model GORM
// cannot parse fails db.Use.
func Models(alias string, models ...any) tenantplugin.Strategy {
	m := &modelsStrategy{alias: alias, route: tenantplugin.ReservedRoute(alias), models: models,
		types: make(map[reflect.Type]bool, len(models))}
	for _, model := range models {
		t := indirect(reflect.TypeOf(model))
		if t == nil {
			panic("reserved: Models given a nil model")
		}
		m.types[t] = true
	}
	// GORM's default naming until the plugin says otherwise.
	if _, err := m.name(schema.NamingStrategy{}); err != nil {
		panic(err.Error())
	}
	return m
}

type modelsStrategy struct {
	alias  string
	route  tenantplugin.Route
	models []any
	types  map[reflect.Type]bool
	tables atomic.Pointer[tableSet] // the models' tables, as named

	mu    sync.Mutex
	named []string // the table names Initialize gave, nil before
}

// name sets the tables of the models as namer names them.
func (m *modelsStrategy) name(namer schema.Namer) ([]string, error) {
	tables, err := tableNames(m.models, namer)
	if err != nil {
		return nil, err
	}
	m.tables.Store(newTableSet(m.alias, tables))
	return tables, nil
}

// Initialize implements tenantplugin.StrategyInitializer: the tables are
// named as db names them. A strategy serves *gorm.DBs that name its
// models' tables alike; installed on one that names them otherwise, it
// fails.
func (m *modelsStrategy) Initialize(db *gorm.DB) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.named != nil {
		tables, err := tableNames(m.models, db.NamingStrategy)
		if err != nil {
			return err
		}
		if !slices.Equal(m.named, tables) {
			return fmt.Errorf("reserved: this Models strategy names its tables %v, this *gorm.DB %v: make one strategy per *gorm.DB", m.named, tables)
		}
		return nil
	}
	tables, err := m.name(db.NamingStrategy)
	if err != nil {
		return err
	}
	m.named = tables
	return nil
}

// Route implements tenantplugin.Strategy.
func (m *modelsStrategy) Route(s tenantplugin.Statement) (tenantplugin.Route, bool) {
	if s.Model != nil && m.types[indirect(reflect.TypeOf(s.Model))] {
		return m.route, true
	}
	return m.tables.Load().match(s.Table)
}

// Tables returns a strategy that sends statements on the named tables
// (matched case-insensitively, without schema) to the reserved database
// alias, and leaves every other statement undecided.
func Tables(alias string, tables ...string) tenantplugin.Strategy {
	ts := newTableSet(alias, tables)
	return tenantplugin.StrategyFunc(func(s tenantplugin.Statement) (tenantplugin.Route, bool) {
		return ts.match(s.Table)
	})
}

// tableSet is the matching of Tables, which Models calls directly.
type tableSet struct {
	set   map[string]bool // lower-case names
	route tenantplugin.Route
}

func newTableSet(alias string, tables []string) *tableSet {
	ts := &tableSet{set: make(map[string]bool, len(tables)), route: tenantplugin.ReservedRoute(alias)}
	for _, t := range tables {
		ts.set[strings.ToLower(unqualified(t))] = true
	}
	return ts
}

// unqualified returns table without its schema: "public.ledgers" is
// "ledgers", as match looks it up.
func unqualified(table string) string {
	if i := strings.LastIndexByte(table, '.'); i >= 0 {
		return table[i+1:]
	}
	return table
}

// match reports the route of table, matched case-insensitively and
// without its schema.
func (ts *tableSet) match(table string) (tenantplugin.Route, bool) {
	if table == "" {
		return tenantplugin.Route{}, false
	}
	t := unqualified(table)
	if ts.set[t] || hasUpper(t) && ts.set[strings.ToLower(t)] {
		return ts.route, true
	}
	return tenantplugin.Route{}, false
}

// hasUpper reports whether s has an upper-case letter, so that the
// common, lower-case, names are looked up once and not copied. ASCII is
// read byte by byte; the rest of a name from its first other byte on, by
// rune.
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				if unicode.IsUpper(r) {
					return true
				}
			}
			return false
		}
		if 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

// Always returns a strategy that sends every statement to alias: for an
// application, or a part of one, that has no tenant data.
func Always(alias string) tenantplugin.Strategy {
	route := tenantplugin.ReservedRoute(alias)
	return tenantplugin.StrategyFunc(func(tenantplugin.Statement) (tenantplugin.Route, bool) {
		return route, true
	})
}

func indirect(t reflect.Type) reflect.Type {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		t = t.Elem()
	}
	return t
}

// tableNames names the models' tables with namer (or their TableName
// methods), and the join tables of their many-to-many associations with
// one another: GORM keeps those associations in a table of no model,
// created with the models, and saves and reads them with statements on
// that table alone. A join table towards a model not among models
// belongs to no one database; GORM's migration of it is refused
// (tenantplugin.ErrCrossDatabase).
func tableNames(models []any, namer schema.Namer) ([]string, error) {
	tables := make([]string, 0, len(models))
	types := make(map[reflect.Type]bool, len(models))
	schemas := make([]*schema.Schema, 0, len(models))
	cache := &sync.Map{}
	for _, model := range models {
		sch, err := schema.Parse(model, cache, namer)
		if err != nil {
			return nil, fmt.Errorf("reserved: cannot parse model %T: %w", model, err)
		}
		tables = append(tables, sch.Table)
		types[indirect(sch.ModelType)] = true
		schemas = append(schemas, sch)
	}
	for _, sch := range schemas {
		for _, rel := range sch.Relationships.Many2Many {
			if rel.JoinTable != nil && rel.FieldSchema != nil && types[indirect(rel.FieldSchema.ModelType)] && !slices.Contains(tables, rel.JoinTable.Table) {
				tables = append(tables, rel.JoinTable.Table)
			}
		}
	}
	return tables, nil
}

var _ tenantplugin.StrategyInitializer = (*modelsStrategy)(nil)
