package sqltables

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// nestDO wraps body in n DO blocks, each with its own dollar-quote tag.
func nestDO(n int, body string) string {
	for i := 0; i < n; i++ {
		tag := fmt.Sprintf("$t%d$", i)
		body = fmt.Sprintf("DO %s BEGIN %s; DELETE FROM lvl_%d; END %s", tag, body, i, tag)
	}
	return body
}

// nestDOE wraps body in n DO blocks whose bodies are E'...' strings,
// quotes and backslashes escaped: each but the innermost is decoded.
func nestDOE(n int, body string) string {
	esc := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	for i := 0; i < n; i++ {
		body = fmt.Sprintf("DO E'BEGIN %s; DELETE FROM lve_%d; END'", esc.Replace(body), i)
	}
	return body
}

// lvls lists the relations of nestDO's (prefix "lvl") or nestDOE's
// ("lve") levels, first the one innermost.
func lvls(first string, levels ...string) []string {
	out := []string{first}
	for _, prefix := range levels {
		for i := range 4 {
			out = append(out, fmt.Sprintf("%s_%d", prefix, i))
		}
	}
	return out
}

// TestTablesLimits reads what goes beyond the parser's fixed-size state:
// parentheses deeper than it follows (refused, unless they hold only
// literals and names), more relations and CTEs than fit before it
// allocates, nested DO bodies.
func TestTablesLimits(t *testing.T) {
	many := make([]string, 20)
	manyWant := make([]string, 15)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i%15)
	}
	for i := range 15 {
		manyWant[i] = fmt.Sprintf("t%d", i)
	}
	var ctes, ctesRefs, ctesWant []string
	for i := range 12 {
		ctes = append(ctes, fmt.Sprintf("c%d AS (SELECT 1 FROM r%d)", i, i))
		ctesRefs = append(ctesRefs, fmt.Sprintf("c%d", i))
		ctesWant = append(ctesWant, fmt.Sprintf("r%d", i))
	}
	tests := []tcase{
		pg(`SELECT `+strings.Repeat("(", 40)+`SELECT 1 FROM deep`+strings.Repeat(")", 40)+` FROM notes`, "deep", "notes"),
		pg(`SELECT count(*) FROM notes WHERE x = `+strings.Repeat("(", 40)+
			`SELECT EXTRACT(YEAR FROM d) FROM deep`+strings.Repeat(")", 40)+
			` AND y IN (SELECT 1 FROM audit_logs)`, "notes", "deep", "audit_logs"),
		pg(strings.Repeat("(", 63)+`SELECT 1 FROM deep`+strings.Repeat(")", 63)+`, audit_logs`, "deep"),
		pg(`SELECT 1 FROM `+strings.Repeat("(", 63)+`; SELECT * FROM notes`, "notes"),
		pg(`SELECT `+strings.Repeat("(", 63)+`f(1, 'a')`+strings.Repeat(")", 63)+` FROM notes`, "notes"),
		bad(Postgres, strings.Repeat("(", 1000)+`SELECT 1 FROM deep`+strings.Repeat(")", 1000)+`, audit_logs`, whatDeep, 63),
		bad(Postgres, `SELECT 1 FROM `+strings.Repeat("(", 100)+`; SELECT * FROM notes`, whatDeep, 14+63),
		bad(SQLite, `SELECT * FROM t WHERE a IN `+strings.Repeat("(SELECT b FROM u WHERE c IN ", 64)+`(1)`+strings.Repeat(")", 64), whatDeep, 27+63*28),
		pg(`SELECT * FROM `+strings.Join(many, ", "), manyWant...),
		pg(`WITH `+strings.Join(ctes, ", ")+` SELECT * FROM `+strings.Join(ctesRefs, ", ")+`, t`, append(ctesWant, "t")...),
		pg(`SELECT * FROM `+strings.Join(many, ", ")+`; WITH t3 AS (SELECT 1) SELECT * FROM t3, extra`, append(manyWant, "extra")...),
		pg(`WITH t3 AS (SELECT 1) SELECT * FROM `+strings.Join(many, ", "), append(append([]string{}, manyWant[:3]...), manyWant[4:]...)...),
		pg(nestDO(3, "TRUNCATE innermost"), "innermost", "lvl_0", "lvl_1", "lvl_2"),
		pg(nestDO(8, "TRUNCATE innermost"), "innermost", "lvl_0", "lvl_1", "lvl_2", "lvl_3", "lvl_4", "lvl_5", "lvl_6", "lvl_7"),
		pg(nestDOE(8, "TRUNCATE innermost"), "innermost", "lve_0", "lve_1", "lve_2", "lve_3", "lve_4", "lve_5", "lve_6", "lve_7"),
		pg(nestDO(4, nestDOE(4, "TRUNCATE innermost")), lvls("innermost", "lve", "lvl")...),
		pg(nestDOE(4, nestDO(4, "TRUNCATE innermost")), lvls("innermost", "lvl", "lve")...),
		bad(Postgres, nestDOE(9, "TRUNCATE innermost"), whatDeepDO, 3),
		bad(Postgres, nestDOE(5, nestDO(4, "TRUNCATE innermost")), whatDeepDO, 3),
		bad(Postgres, nestDO(4, nestDOE(5, "TRUNCATE innermost")), whatDeepDO, strings.Index(nestDO(4, nestDOE(5, "TRUNCATE innermost")), "DO E'")+3),
		pg(strings.Repeat("SELECT * FROM t; ", 10000), "t"),
		pg(strings.Repeat("/* x */ -- y\n", 1000)+"SELECT * FROM t", "t"),
	}
	for _, tt := range tests {
		name := tt.sql
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			got, err := Tables(tt.sql, tt.d)
			if tt.errWhat != "" {
				var e *Error
				if !errors.As(err, &e) || e.What != tt.errWhat || e.Offset != tt.errAt || got != nil {
					t.Fatalf("got %v, %v; want an *Error %q at %d", got, err, tt.errWhat, tt.errAt)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}

	t.Run("DO nested too deeply", func(t *testing.T) {
		sql := nestDO(9, "TRUNCATE innermost")
		got, err := Tables(sql, Postgres)
		var e *Error
		if !errors.As(err, &e) || e.What != whatDeepDO || got != nil {
			t.Fatalf("got %v, %v; want an *Error %q", got, err, whatDeepDO)
		}
		if errors.Is(err, ErrUnterminated) {
			t.Fatalf("%v is ErrUnterminated", err)
		}
		if want := strings.Index(sql, "$t0$") + len("$t0$"); e.Offset != want-len("$t0$") {
			t.Fatalf("offset %d, want %d", e.Offset, want-len("$t0$"))
		}
	})
}

// TestTablesMany reads texts that name thousands of relations and CTEs.
func TestTablesMany(t *testing.T) {
	for _, d := range []Dialect{Postgres, SQLite} {
		var b strings.Builder
		var want []Ref
		b.WriteString("WITH ")
		for i := range 100 {
			fmt.Fprintf(&b, "C%d AS (SELECT 1 FROM r%d), ", i, i)
			want = append(want, Ref{Name: fmt.Sprintf("r%d", i)})
		}
		b.WriteString("last AS (SELECT 1) SELECT * FROM last")
		for i := range 5000 {
			fmt.Fprintf(&b, ", t%d, c%d, r%d", i, i%100, i%100)
			want = append(want, Ref{Name: fmt.Sprintf("t%d", i)})
		}
		got, err := Tables(b.String(), d)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || !reflect.DeepEqual(got, want) {
			t.Fatalf("dialect %d: got %d relations, want %d", d, len(got), len(want))
		}
	}
}
