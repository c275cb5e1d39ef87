package reserved

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode"

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
// by table name, so Raw SQL naming their tables is routed too. It panics
// if a model's table cannot be found, which is a programming error found
// at start-up.
func Models(alias string, models ...any) tenantplugin.Strategy {
	tables := make([]string, 0, len(models))
	types := make(map[reflect.Type]bool, len(models))
	for _, m := range models {
		t := indirect(reflect.TypeOf(m))
		if t == nil {
			panic("reserved: Models given a nil model")
		}
		types[t] = true
		tables = append(tables, tableOf(m))
	}
	byTable := Tables(alias, tables...)
	return tenantplugin.StrategyFunc(func(s tenantplugin.Statement) (tenantplugin.Route, bool) {
		if s.Model != nil && types[indirect(reflect.TypeOf(s.Model))] {
			return tenantplugin.Reserved(alias), true
		}
		return byTable.Route(s)
	})
}

// Tables returns a strategy that sends statements on the named tables
// (matched case-insensitively, without schema) to the reserved database
// alias, and leaves every other statement undecided.
func Tables(alias string, tables ...string) tenantplugin.Strategy {
	set := make(map[string]bool, len(tables))
	for _, t := range tables {
		set[strings.ToLower(t)] = true
	}
	route := tenantplugin.Reserved(alias)
	return tenantplugin.StrategyFunc(func(s tenantplugin.Statement) (tenantplugin.Route, bool) {
		if s.Table == "" {
			return tenantplugin.Route{}, false
		}
		t := s.Table
		if i := strings.LastIndexByte(t, '.'); i >= 0 {
			t = t[i+1:]
		}
		if set[t] || hasUpper(t) && set[strings.ToLower(t)] {
			return route, true
		}
		return tenantplugin.Route{}, false
	})
}

// hasUpper reports whether s has an upper-case letter, so that the
// common, lower-case, names are looked up once and not copied.
func hasUpper(s string) bool {
	for _, r := range s {
		if unicode.IsUpper(r) {
			return true
		}
	}
	return false
}

// Always returns a strategy that sends every statement to alias: for an
// application, or a part of one, that has no tenant data.
func Always(alias string) tenantplugin.Strategy {
	route := tenantplugin.Reserved(alias)
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

// tableOf finds a model's table with GORM's default naming, or its
// TableName method.
func tableOf(model any) string {
	sch, err := schema.Parse(model, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		panic(fmt.Sprintf("reserved: cannot parse model %T: %v", model, err))
	}
	return sch.Table
}
