package tenantplugin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// fuzzTables are the relations the generated statements use: the first
// two are tenant tables, the last two reserved ones.
var fuzzTables = [...]string{"notes", "tags", "audit_logs", "hospitals"}

func fuzzReserved(t string) bool { return t == "audit_logs" || t == "hospitals" }

// fuzzPlugin is a plugin whose strategy sends the reserved fuzz tables to
// "central", as reserved.Tables would (the reserved package imports this
// one, so its strategies cannot be used here).
func fuzzPlugin(dialect string) *Plugin {
	p := &Plugin{tables: newTableCache(dialect)}
	p.strategies = strategyStack{StrategyFunc(func(s Statement) (Route, bool) {
		name := strings.ToLower(s.Table)
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		if fuzzReserved(name) {
			return ReservedRoute("central"), true
		}
		return Route{}, false
	})}
	return p
}

// sqlGen writes a statement from fuzz bytes. Relations it places in
// relation positions are recorded in real; names it places anywhere else
// (comments, strings, aliases, column names, CTE names, function
// arguments) are decoys and must not count.
type sqlGen struct {
	in   []byte
	b    strings.Builder
	real map[string]bool
	ctes int
}

func (g *sqlGen) next() int {
	if len(g.in) == 0 {
		return 0
	}
	v := int(g.in[0])
	g.in = g.in[1:]
	return v
}

func (g *sqlGen) name() string { return fuzzTables[g.next()%len(fuzzTables)] }

func (g *sqlGen) w(s ...string) {
	for _, x := range s {
		g.b.WriteString(x)
	}
}

// decoy writes a comment that names a table: valid between any two
// tokens.
func (g *sqlGen) decoy() {
	n := g.name()
	switch g.next() % 4 {
	case 0:
		g.w(" /* FROM ", n, " */ ")
	case 1:
		g.w(" -- JOIN ", n, "\n")
	case 2:
		g.w(" /* a /* FROM ", n, " */ b */ ")
	default:
		g.w(" ")
	}
}

// literal writes a value that names a table: valid where an expression
// is.
func (g *sqlGen) literal() {
	n := g.name()
	switch g.next() % 5 {
	case 0:
		g.w("'FROM ", n, "'")
	case 1:
		g.w("$$ UPDATE ", n, " $$")
	case 2:
		g.w("E'\\' INTO ", n, "'")
	case 3:
		g.w("$t$ DELETE FROM ", n, " $t$")
	default:
		g.w(`'`, n, `' AS "from `, g.name(), `"`)
	}
}

// The aliases a relation may take where it stands.
const (
	noAlias  = iota // TRUNCATE
	asAlias         // INSERT INTO t AS x
	anyAlias        // FROM, JOIN, UPDATE, DELETE FROM
)

// relation writes a relation reference, quoted or qualified at random,
// with an alias (as the position allows) that may name another table.
func (g *sqlGen) relation(alias int) {
	n := g.name()
	g.real[n] = true
	switch g.next() % 4 {
	case 0:
		g.w(n)
	case 1:
		g.w(`"`, n, `"`)
	case 2:
		g.w("public.", n)
	default:
		g.w(`"public"."`, n, `"`)
	}
	if alias == noAlias {
		return
	}
	switch g.next() % 4 {
	case 0:
		g.w(" AS ", g.name())
	case 1:
		if alias == anyAlias {
			g.w(" ", strings.ToUpper(g.name()[:1]), "x")
		}
	case 2:
		g.w(` AS "`, g.name(), `"`)
	}
}

// fromItem writes one item of a FROM list.
func (g *sqlGen) fromItem(depth int) {
	switch g.next() % 6 {
	case 0:
		if depth < 3 {
			g.w("(")
			g.query(depth + 1)
			g.w(") AS sub", fmt.Sprint(depth))
			return
		}
	case 1:
		g.w("generate_series(1, 2) AS ", g.name(), "_g")
		return
	case 2:
		g.w("ONLY ")
	case 3:
		if g.ctes > 0 {
			g.w(fmt.Sprintf("cte%d", g.next()%g.ctes))
			return
		}
	}
	g.relation(anyAlias)
}

// expr writes a column expression, maybe with a subquery.
func (g *sqlGen) expr(depth int) {
	switch g.next() % 6 {
	case 0:
		g.w("EXTRACT(YEAR FROM ", g.name(), ".created_at)")
	case 1:
		g.w("substring(body FROM 1 FOR 2)")
	case 2:
		if depth < 3 {
			g.w("(")
			g.query(depth + 1)
			g.w(")")
			return
		}
		g.w("1")
	case 3:
		g.w(g.name(), ".id")
	case 4:
		g.w("count(*) AS ", g.name())
	default:
		g.literal()
	}
	if g.next()%2 == 0 {
		g.w(", ")
		g.literal()
	}
	g.decoy()
}

func (g *sqlGen) query(depth int) {
	g.w("SELECT ")
	g.expr(depth)
	g.w(" FROM ")
	g.fromItem(depth)
	for i := g.next() % 3; i > 0; i-- {
		if g.next()%2 == 0 {
			g.w(", ")
		} else {
			g.w(" LEFT JOIN ")
		}
		g.fromItem(depth)
		g.w(" ON true")
		g.decoy()
	}
	if g.next()%3 == 0 && depth < 3 {
		g.w(" WHERE id IN (")
		g.query(depth + 1)
		g.w(")")
	}
}

func (g *sqlGen) statement() string {
	g.decoy()
	if n := g.next() % 3; n > 0 {
		g.w("WITH ")
		for i := range n {
			if i > 0 {
				g.w(", ")
			}
			g.w(fmt.Sprintf("cte%d AS (", i))
			g.query(1)
			g.w(")")
		}
		g.ctes = n
		g.w(" ")
	}
	kind := g.next() % 5
	if kind == 3 && g.ctes > 0 {
		kind = 4 // WITH does not take TRUNCATE
	}
	switch kind {
	case 0:
		g.w("INSERT INTO ")
		g.relation(asAlias)
		g.w(" (body) ")
		g.query(1)
	case 1:
		g.w("UPDATE ")
		g.relation(anyAlias)
		g.w(" SET body = ")
		g.expr(1)
	case 2:
		g.w("DELETE FROM ")
		g.relation(anyAlias)
		g.w(" WHERE id = $1")
	case 3:
		g.w("TRUNCATE TABLE ")
		g.relation(noAlias)
	default:
		g.query(0)
	}
	g.decoy()
	return g.b.String()
}

// FuzzRouteRawSQL routes generated statements whose relations are known
// and checks the plugin's decision against them: all reserved → the
// reserved database, none → the tenant, a mix → ErrCrossDatabase. No
// statement that names a tenant table is ever sent to a reserved
// database. Arbitrary input is also routed, and must never panic.
func FuzzRouteRawSQL(f *testing.F) {
	for _, seed := range []string{
		"", "\x00", "\x01\x02\x03\x04\x05\x06\x07\x08", "\xff\xfe\xfd\xfc\xfb\xfa",
		"\x02\x00\x01\x03\x02\x02\x04\x05\x00\x01\x02\x03", "SELECT * FROM notes /* audit_logs */",
	} {
		f.Add([]byte(seed))
	}
	p := fuzzPlugin("postgres")
	ctx := tenant.NewContext(context.Background(), "t1")
	route := func(sql string) (decision, error) {
		stmt := &gorm.Statement{Context: ctx}
		stmt.SQL.WriteString(sql)
		return p.strategyRoute(stmt, OpRaw)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = route(string(in)) // arbitrary text: must not panic

		g := &sqlGen{in: in, real: map[string]bool{}}
		sql := g.statement()
		d, err := route(sql)
		var tenant, reserved bool
		for n := range g.real {
			if fuzzReserved(n) {
				reserved = true
			} else {
				tenant = true
			}
		}
		switch {
		case tenant && reserved:
			if !errors.Is(err, ErrCrossDatabase) {
				t.Fatalf("%s\nnames tenant and reserved tables %v: got %v, %v; want ErrCrossDatabase", sql, g.real, d, err)
			}
		case err != nil:
			t.Fatalf("%s\n(tables %v): %v", sql, g.real, err)
		case reserved:
			if alias, ok := d.route.Alias(); !ok || alias != "central" {
				t.Fatalf("%s\nnames only reserved tables %v: routed to %s", sql, g.real, d.route)
			}
		default:
			if _, ok := d.route.Alias(); ok {
				t.Fatalf("%s\nnames tenant tables %v: routed to %s", sql, g.real, d.route)
			}
		}
	})
}
