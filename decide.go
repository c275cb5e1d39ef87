package tenantplugin

import (
	"regexp"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// strategyRoute asks the strategies about a statement. Migrator look-ups
// of the system catalogs name their table in a bound value, not in the
// SQL: each string value is then offered as the table. migration reports
// whether the decision was about a migrator statement (a catalog look-up
// or DDL), which only reserved.Use may send to a reserved database.
func (p *Plugin) strategyRoute(stmt *gorm.Statement, op Op) decision {
	if len(p.strategies) == 0 {
		return decision{}
	}
	s := p.view(stmt, op)
	if r, ok := p.strategies.Route(s); ok {
		return decision{route: r, decided: true, migration: s.Model == nil && isDDL(stmt), table: s.Table}
	}
	if s.Model == nil && catalogTables[strings.ToLower(s.Table)] {
		for _, v := range stmt.Vars {
			name, ok := v.(string)
			if !ok || name == "" {
				continue
			}
			s.Table = name
			if r, ok := p.strategies.Route(s); ok {
				return decision{route: r, decided: true, migration: true, table: name}
			}
		}
	}
	return decision{}
}

// decision is what the strategies said of a statement.
type decision struct {
	route     Route
	decided   bool
	migration bool   // a migrator statement: a catalog look-up or DDL
	table     string // the table the decision was about
}

// isDDL reports whether a statement's raw SQL changes a schema.
func isDDL(stmt *gorm.Statement) bool {
	if stmt.SQL.Len() == 0 {
		return false
	}
	s := strings.TrimSpace(stmt.SQL.String())
	for _, kw := range [...]string{"CREATE ", "ALTER ", "DROP ", "COMMENT ", "TRUNCATE "} {
		if len(s) >= len(kw) && strings.EqualFold(s[:len(kw)], kw) {
			return true
		}
	}
	return false
}

// catalogTables are the catalog tables and views GORM's migrators query
// with the table they ask about as a bound value.
var catalogTables = map[string]bool{
	"tables": true, "columns": true, "table_constraints": true, "key_column_usage": true,
	"statistics": true, "views": true, "pg_indexes": true, "pg_index": true, "pg_class": true,
	"pg_constraint": true, "pg_attribute": true, "sqlite_master": true, "sqlite_schema": true,
	"pragma_table_info": true, "pragma_index_list": true,
}

// view builds what strategies see of a statement.
func (p *Plugin) view(stmt *gorm.Statement, op Op) Statement {
	s := Statement{Context: stmt.Context, Op: op, Table: stmt.Table, Model: stmt.Model, Schema: stmt.Schema}
	if s.Table == "" && s.Schema != nil {
		s.Table = s.Schema.Table
	}
	if s.Table == "" && stmt.SQL.Len() > 0 {
		// Raw SQL (Raw, Exec, Raw(...).Scan, and the migrators' DDL).
		s.Table = tableFromSQL(stmt.SQL.String())
	}
	return s
}

const ident = `(?:"[^"]+"|` + "`[^`]+`" + `|\[[^\]]+\]|[\w$]+)`

var sqlTable = regexp.MustCompile(`(?is)\b(?:FROM|INTO|UPDATE|JOIN|TABLE(?:\s+IF(?:\s+NOT)?\s+EXISTS)?|INDEX\s+.*?\bON(?:\s+ONLY)?)\s+(` +
	ident + `(?:\s*\.\s*` + ident + `)*)`)

// tableFromSQL returns the first table the SQL names after FROM, INTO,
// UPDATE, JOIN, TABLE (CREATE, ALTER, DROP) or INDEX ... ON, without its
// schema or quotes.
func tableFromSQL(sql string) string {
	m := sqlTable.FindStringSubmatch(sql)
	if m == nil {
		return ""
	}
	t := m[1]
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		t = t[i+1:]
	}
	return strings.Trim(strings.TrimSpace(t), "\"`[]")
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
