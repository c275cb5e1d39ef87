package sqltables

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// FuzzTables checks that Tables and FromList never panic and always
// return, on any input and in both dialects; and, reading the input as
// choices, that a statement built from known parts has every relation
// placed in a relation position found, and none of the decoys placed in
// strings, comments, aliases, column names, CTE names and function
// arguments.
func FuzzTables(f *testing.F) {
	for _, tt := range tableTests {
		f.Add([]byte(tt.sql))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := string(data)
		for _, d := range []Dialect{Postgres, SQLite} {
			_, _ = Tables(s, d)
			_, _ = FromList(s, d)
		}
		for _, d := range []Dialect{Postgres, SQLite} {
			g := newGen(data, d)
			sql := g.script()
			got, err := Tables(sql, d)
			if err != nil {
				t.Fatalf("dialect %d: %q: %v", d, sql, err)
			}
			g.check(t, sql, got)
		}
	})
}

// gen builds SQL from parts, driven by the fuzzer's bytes, and records
// which relations and functions it placed in relation positions.
type gen struct {
	data  []byte
	pos   int
	d     Dialect
	b     strings.Builder
	rels  map[Ref]bool
	funcs map[Ref]bool
	ctes  []string // CTE names in scope of the current statement
	n     int      // counter for unique names
	depth int
	inDO  bool // writing the body of a DO block
}

func newGen(data []byte, d Dialect) *gen {
	return &gen{data: data, d: d, rels: map[Ref]bool{}, funcs: map[Ref]bool{}}
}

// pick returns a choice in [0, n).
func (g *gen) pick(n int) int {
	if g.pos >= len(g.data) {
		return 0
	}
	c := int(g.data[g.pos])
	g.pos++
	return c % n
}

func (g *gen) w(parts ...string) {
	for _, p := range parts {
		g.b.WriteString(p)
	}
}

// sp writes a separator: a space, or a comment holding decoys.
func (g *gen) sp() {
	switch g.pick(8) {
	case 0:
		g.w(" /* FROM ", g.decoy(), " JOIN ", g.decoy(), " */ ")
	case 1:
		g.w(" -- FROM ", g.decoy(), "\n")
	case 2:
		g.w("\n\t")
	default:
		g.w(" ")
	}
}

func (g *gen) decoy() string {
	g.n++
	return fmt.Sprintf("decoy_%d", g.n)
}

// rel writes a relation name in a relation position and records it.
func (g *gen) rel() {
	g.n++
	n := g.n
	var text string
	var r Ref
	switch g.pick(7) {
	case 6:
		text, r = fmt.Sprintf("sch_%d /* . x */ . -- .\n rel_%d", n, n), Ref{Schema: fmt.Sprintf("sch_%d", n), Name: fmt.Sprintf("rel_%d", n)}
	case 0:
		text, r = fmt.Sprintf("Rel_%d", n), Ref{Name: fmt.Sprintf("rel_%d", n)}
	case 1:
		text, r = fmt.Sprintf(`"Rel %d"`, n), Ref{Name: fmt.Sprintf("Rel %d", n)}
	case 2:
		text, r = fmt.Sprintf("sch_%d.rel_%d", n, n), Ref{Schema: fmt.Sprintf("sch_%d", n), Name: fmt.Sprintf("rel_%d", n)}
	case 3:
		text, r = fmt.Sprintf(`"Sch".%s`, g.quote(fmt.Sprintf("r%d", n))), Ref{Schema: "Sch", Name: fmt.Sprintf("r%d", n)}
	default:
		text, r = fmt.Sprintf("rel_%d", n), Ref{Name: fmt.Sprintf("rel_%d", n)}
	}
	g.rels[r] = true
	g.w(text)
}

// quote quotes an identifier as the dialect may.
func (g *gen) quote(s string) string {
	if g.d == SQLite {
		switch g.pick(3) {
		case 1:
			return "`" + s + "`"
		case 2:
			return "[" + s + "]"
		}
	}
	return `"` + s + `"`
}

// str writes a string literal holding decoys.
func (g *gen) str() {
	switch g.pick(4) {
	case 0:
		g.w("'it''s FROM ", g.decoy(), "'")
	case 1:
		if g.d == Postgres {
			g.w("$q$ FROM ", g.decoy(), " ' $q$")
			return
		}
		g.w("'FROM ", g.decoy(), "'")
	case 2:
		if g.d == Postgres {
			g.w(`E'\' FROM `, g.decoy(), "'")
			return
		}
		g.w("'JOIN ", g.decoy(), "'")
	default:
		g.w("'", g.decoy(), "'")
	}
}

// alias writes an alias, with or without AS.
func (g *gen) alias() {
	switch g.pick(4) {
	case 0:
		g.w(" AS ", g.decoy())
	case 1:
		g.w(" ", g.decoy())
	case 2:
		g.w(" AS ", g.quote("from "+g.decoy()))
	}
}

// expr writes an expression: columns, literals, function calls whose
// arguments hold decoys, and sometimes a subquery naming relations.
func (g *gen) expr() {
	switch g.pick(12) {
	case 0:
		g.w(g.decoy(), ".", g.decoy())
	case 1:
		g.str()
	case 2:
		g.w("EXTRACT(YEAR FROM ", g.decoy(), ")")
	case 3:
		g.w("substring(", g.decoy(), " FROM 1 FOR 2)")
	case 4:
		g.w("trim(both 'x' FROM ", g.decoy(), ")")
	case 5:
		g.w("coalesce(", g.decoy(), ", ")
		g.str()
		g.w(")")
	case 6:
		if g.depth < 3 {
			g.w("(")
			g.selectStmt()
			g.w(")")
			return
		}
		g.w(g.decoy())
	case 7:
		g.w(g.quote("FROM " + g.decoy()))
	case 8:
		g.w(g.decoy(), " IS NOT DISTINCT FROM ", g.decoy())
	case 9:
		if g.d == Postgres {
			g.w("$1::text")
		} else {
			g.w("?")
		}
	case 10:
		g.w("CASE WHEN ", g.decoy(), " THEN ")
		g.str()
		g.w(" ELSE ", g.decoy(), " END")
	default:
		g.w(g.decoy())
	}
}

func (g *gen) cond() {
	switch g.pick(4) {
	case 0:
		if g.depth < 3 {
			g.w(g.decoy(), " IN (")
			g.selectStmt()
			g.w(")")
			return
		}
	case 1:
		if g.depth < 3 {
			g.w("EXISTS (")
			g.selectStmt()
			g.w(")")
			return
		}
	}
	g.expr()
	g.w(" = ")
	g.expr()
}

// fromItem writes one item of a FROM list.
func (g *gen) fromItem() {
	switch g.pick(9) {
	case 0:
		g.w("ONLY ")
		g.rel()
		g.alias()
	case 1:
		if g.depth < 3 {
			g.w("(")
			g.selectStmt()
			g.w(")")
			g.w(" AS ", g.decoy())
			return
		}
		g.rel()
	case 2:
		g.n++
		fn := Ref{Name: fmt.Sprintf("fn_%d", g.n), Func: true}
		g.funcs[fn] = true
		g.w(fn.Name, "(", g.decoy(), ", ")
		g.str()
		g.w(")")
		g.alias()
	case 3:
		if len(g.ctes) > 0 {
			g.w(g.ctes[g.pick(len(g.ctes))])
			g.alias()
			return
		}
		g.rel()
	case 4:
		g.w("(")
		g.rel()
		g.w(" JOIN ")
		g.rel()
		g.w(" ON ")
		g.cond()
		g.w(")")
	case 5:
		if g.depth < 3 && g.d == Postgres {
			g.w("LATERAL (")
			g.selectStmt()
			g.w(") ", g.decoy())
			return
		}
		g.rel()
	default:
		g.rel()
		g.alias()
	}
}

func (g *gen) fromList() {
	g.fromItem()
	for i, n := 0, g.pick(3); i < n; i++ {
		switch g.pick(4) {
		case 0:
			g.w(",")
			g.sp()
			g.fromItem()
		case 1:
			g.w(" LEFT JOIN ")
			g.fromItem()
			g.w(" ON ")
			g.cond()
		case 2:
			g.w(" CROSS JOIN ")
			g.fromItem()
		default:
			g.w(" JOIN ")
			g.fromItem()
			g.w(" USING (", g.decoy(), ")")
		}
	}
}

func (g *gen) selectStmt() {
	g.depth++
	defer func() { g.depth-- }()
	g.w("SELECT ")
	g.expr()
	g.alias()
	for i, n := 0, g.pick(3); i < n; i++ {
		g.w(", ")
		g.expr()
		g.alias()
	}
	g.sp()
	g.w("FROM ")
	g.fromList()
	if g.pick(2) == 0 {
		g.w(" WHERE ")
		g.cond()
	}
	switch g.pick(5) {
	case 0:
		g.w(" GROUP BY ", g.decoy(), ", ", g.decoy())
	case 1:
		g.w(" ORDER BY ", g.decoy(), " DESC LIMIT 10")
	case 2:
		if g.d == Postgres {
			g.w(" FOR UPDATE OF ", g.decoy(), " SKIP LOCKED")
		}
	case 3:
		if g.depth < 3 {
			g.w(" UNION ALL ")
			g.selectStmt()
		}
	case 4:
		if g.d == Postgres {
			g.w([]string{" UNION TABLE ", " EXCEPT ALL (TABLE ", " INTERSECT DISTINCT TABLE "}[g.pick(3)])
			closing := strings.HasSuffix(g.b.String(), "(TABLE ")
			g.rel()
			if closing {
				g.w(")")
			}
		}
	}
}

func (g *gen) insertStmt() {
	g.w("INSERT INTO ")
	g.rel()
	g.w(" (", g.decoy(), ", ", g.decoy(), ")")
	g.sp()
	switch g.pick(4) {
	case 0:
		g.w("VALUES (")
		g.expr()
		g.w(", ")
		g.str()
		g.w(")")
	case 1:
		if g.d == Postgres {
			// The TABLE command, after the columns or the target.
			if g.pick(2) == 0 {
				g.w("TABLE ")
			} else {
				g.w("OVERRIDING SYSTEM VALUE TABLE ONLY ")
			}
			g.rel()
			break
		}
		g.selectStmt()
	default:
		g.selectStmt()
	}
	switch g.pick(3) {
	case 0:
		g.w(" ON CONFLICT (", g.decoy(), ") DO UPDATE SET ", g.decoy(), " = ")
		g.str()
		g.w(", ", g.decoy(), " = ", g.decoy())
	case 1:
		g.w(" ON CONFLICT DO NOTHING")
	}
	if g.pick(2) == 0 {
		g.w(" RETURNING ", g.decoy())
	}
}

func (g *gen) updateStmt() {
	g.w("UPDATE ")
	g.rel()
	if g.pick(2) == 0 {
		g.w(" AS ", g.decoy())
	}
	g.w(" SET ", g.decoy(), " = ")
	g.expr()
	g.w(", ", g.decoy(), " = ")
	g.str()
	if g.pick(2) == 0 {
		g.w(" FROM ")
		g.fromList()
	}
	g.w(" WHERE ")
	g.cond()
}

func (g *gen) deleteStmt() {
	g.w("DELETE FROM ")
	g.rel()
	if g.d == Postgres && g.pick(2) == 0 {
		g.w(" USING ")
		g.fromList()
	}
	if g.pick(2) == 0 {
		g.w(" WHERE ")
		g.cond()
	}
}

func (g *gen) statement() {
	g.ctes = nil
	if g.pick(3) == 0 {
		g.w("WITH ")
		if g.d == Postgres && g.pick(2) == 0 {
			g.w("RECURSIVE ")
		}
		var names []string
		for i, n := 0, 1+g.pick(2); i < n; i++ {
			if i > 0 {
				g.w(", ")
			}
			name := g.decoy()
			names = append(names, name)
			g.w(name)
			if g.pick(2) == 0 {
				g.w(" (", g.decoy(), ")")
			}
			g.w(" AS (")
			if g.d == Postgres && g.pick(3) == 0 {
				g.deleteStmt()
				g.w(" RETURNING *")
			} else {
				g.selectStmt()
			}
			g.w(")")
		}
		g.ctes = names
		g.sp()
	}
	if len(g.ctes) > 0 {
		switch g.pick(4) {
		case 0:
			g.insertStmt()
		case 1:
			g.updateStmt()
		case 2:
			g.deleteStmt()
		default:
			g.selectStmt()
		}
		return
	}
	switch g.pick(12) {
	case 0:
		g.insertStmt()
	case 1:
		g.updateStmt()
	case 2:
		g.deleteStmt()
	case 3:
		g.w("TRUNCATE TABLE ")
		g.rel()
		g.w(", ")
		g.rel()
	case 4:
		g.w("CREATE TABLE ")
		g.rel()
		g.w(" AS ")
		g.selectStmt()
	case 5:
		g.w("CREATE VIEW ")
		g.rel()
		g.w(" (", g.decoy(), ") AS ")
		g.selectStmt()
	case 6:
		g.w("TABLE ")
		g.rel()
	case 7:
		if g.d == SQLite {
			g.w([]string{"INSERT OR REPLACE INTO ", "REPLACE INTO ", "INSERT OR IGNORE INTO "}[g.pick(3)])
			g.rel()
			g.w(" (", g.decoy(), ") VALUES (")
			g.str()
			g.w(")")
			return
		}
		g.w("MERGE INTO ")
		g.rel()
		g.alias()
		g.w(" USING ")
		g.fromItem()
		g.w(" ON ")
		g.cond()
		g.w(" WHEN MATCHED THEN UPDATE SET ", g.decoy(), " = ")
		g.expr()
		g.w(" WHEN NOT MATCHED THEN INSERT (", g.decoy(), ") VALUES (")
		g.str()
		g.w(")")
	case 8:
		if g.d == SQLite {
			g.w("UPDATE OR IGNORE ")
			g.rel()
			g.w(" SET ", g.decoy(), " = ")
			g.str()
			return
		}
		if g.inDO {
			g.selectStmt()
			return
		}
		g.w("SELECT ", g.decoy(), " INTO ", []string{"", "TEMP ", "UNLOGGED TABLE "}[g.pick(3)])
		g.rel()
		g.w(" FROM ")
		g.fromList()
	case 9:
		if g.d == SQLite {
			g.selectStmt()
			return
		}
		if g.pick(2) == 0 {
			g.w("COPY ")
			g.rel()
			g.w(" (", g.decoy(), ") FROM STDIN WITH (FORMAT csv)")
			return
		}
		g.w("COPY (")
		g.selectStmt()
		g.w(") TO STDOUT")
	case 10:
		if g.d == SQLite || g.inDO {
			g.selectStmt()
			return
		}
		g.inDO = true
		outer := g.b.String()
		g.b.Reset()
		g.w("BEGIN ")
		g.statement()
		g.w("; ")
		g.statement()
		g.w("; END")
		body := g.b.String()
		g.b.Reset()
		g.w(outer)
		g.doBlock(body)
		g.inDO = false
	default:
		g.selectStmt()
	}
}

// doBlock writes a DO block whose body is body, as a string of any of
// the forms PostgreSQL takes.
func (g *gen) doBlock(body string) {
	seed := uint64(g.pick(256))<<8 | uint64(g.pick(256))
	switch g.pick(5) {
	case 0:
		g.w("DO $do$ ", body, " $do$")
	case 1:
		g.w("DO ", encodeBody(body, 'p', '\\', seed))
	case 2:
		g.w("DO E", encodeBody(body, 'e', '\\', seed))
	case 3:
		g.w("DO LANGUAGE plpgsql U&", encodeBody(body, 'u', '\\', seed))
	default:
		g.w("DO U&", encodeBody(body, 'u', '!', seed), " UESCAPE '!'")
	}
}

// encodeBody writes body as a string literal PostgreSQL reads as body:
// form 'p' a '...' literal, 'e' an E'...' one with its escapes, 'u' a
// U&'...' one with esc for the escape character. seed chooses the
// escapes and where the literal is cut in parts ('a'\n'b').
func encodeBody(body string, form, esc byte, seed uint64) string {
	var b strings.Builder
	next := func(n uint64) uint64 {
		seed = seed*6364136223846793005 + 1442695040888963407
		return seed >> 33 % n
	}
	b.WriteByte('\'')
	for _, r := range body {
		if next(16) == 0 {
			b.WriteString([]string{"'\n'", "' -- c\r\n\t'", "'\n\n  \f'"}[next(3)])
		}
		switch {
		case r == '\'':
			if form == 'e' && next(2) == 0 {
				b.WriteString(`\'`)
			} else {
				b.WriteString("''")
			}
		case form == 'e' && r == '\\':
			b.WriteString(`\\`)
		case form == 'u' && r == rune(esc):
			b.WriteString(string([]byte{esc, esc}))
		case form == 'e':
			switch k := next(8); {
			case k == 0 && r < 0x80:
				fmt.Fprintf(&b, `\x%02x`, r)
			case k == 1 && r < 0x80:
				fmt.Fprintf(&b, `\%03o`, r)
			case k == 2 && r < 0x10000:
				fmt.Fprintf(&b, `\u%04X`, r)
			case k == 3 && r >= 0x10000:
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(&b, `\u%04x\U%08x`, r1, r2)
			case k == 3:
				fmt.Fprintf(&b, `\U%08x`, r)
			case k == 4 && strings.ContainsRune("\n\t\r\b\f", r):
				b.WriteString(map[rune]string{'\n': `\n`, '\t': `\t`, '\r': `\r`, '\b': `\b`, '\f': `\f`}[r])
			case k == 5 && (r == 'g' || r == 'z' || r == '_' || r == ' '):
				b.WriteString(`\` + string(r))
			default:
				b.WriteRune(r)
			}
		case form == 'u' && next(4) == 0:
			if r >= 0x10000 || next(2) == 0 {
				fmt.Fprintf(&b, "%c+%06X", esc, r)
			} else {
				fmt.Fprintf(&b, "%c%04x", esc, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// FuzzDOBody checks that a DO body given as a '...' literal in parts, an
// E'...' literal with escapes or a U&'...' one is read as the same body
// given as a dollar-quoted string is.
func FuzzDOBody(f *testing.F) {
	for _, tt := range tableTests {
		f.Add(tt.sql, uint64(len(tt.sql)))
	}
	f.Fuzz(func(t *testing.T, body string, seed uint64) {
		if strings.Index(body+"$x$", "$x$") < len(body) || !utf8.ValidString(body) || strings.IndexByte(body, 0) >= 0 {
			return
		}
		want, wantErr := Tables("DO $x$ "+body+"$x$", Postgres)
		for _, form := range []string{"p", "e", "u", "u!"} {
			esc := byte('\\')
			if len(form) > 1 {
				esc = form[1]
			}
			// A part of one space first: the body is decoded, not read
			// in place.
			lit := "' '\n" + encodeBody(body, form[0], esc, seed)
			sql := "DO " + lit
			switch form {
			case "e":
				sql = "DO E" + lit
			case "u":
				sql = "DO U&" + lit
			case "u!":
				sql = "DO U&" + lit + " UESCAPE '!'"
			}
			got, err := Tables(sql, Postgres)
			if (err != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s\ngot  %v, %v\nwant %v, %v (as $x$...$x$)", sql, got, err, want, wantErr)
			}
		}
	})
}

// script writes one to three statements.
func (g *gen) script() string {
	g.statement()
	for i, n := 0, g.pick(3); i < n; i++ {
		g.w(";")
		g.sp()
		g.statement()
	}
	return g.b.String()
}

func (g *gen) check(t *testing.T, sql string, got []Ref) {
	t.Helper()
	seen := map[Ref]bool{}
	for _, r := range got {
		seen[r] = true
		if strings.Contains(r.Name, "decoy") || strings.Contains(r.Schema, "decoy") {
			t.Fatalf("dialect %d: decoy %+v found in\n%s\ngot %+v", g.d, r, sql, got)
		}
		if r.Func && !g.funcs[r] || !r.Func && !g.rels[r] {
			t.Fatalf("dialect %d: unexpected %+v in\n%s\ngot %+v", g.d, r, sql, got)
		}
	}
	for r := range g.rels {
		if !seen[r] {
			t.Fatalf("dialect %d: relation %+v missed in\n%s\ngot %+v", g.d, r, sql, got)
		}
	}
	for r := range g.funcs {
		if !seen[r] {
			t.Fatalf("dialect %d: function %+v missed in\n%s\ngot %+v", g.d, r, sql, got)
		}
	}
}
