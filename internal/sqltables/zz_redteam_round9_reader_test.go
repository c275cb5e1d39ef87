package sqltables

import (
	"fmt"
	"slices"
	"testing"
)

// r9want checks that Tables finds every relation of want in q (more is
// acceptable: a relation too many makes routing stricter, one missing
// sends the statement to the wrong database).
func r9want(t *testing.T, d Dialect, q string, want ...string) {
	t.Helper()
	got, err := Tables(q, d)
	if err != nil {
		t.Errorf("Tables(%q, %v): %v", q, d, err)
		return
	}
	for _, w := range refs(want...) {
		if !slices.Contains(got, w) {
			t.Errorf("Tables(%q, %v) = %v: %v missing", q, d, got, w)
		}
	}
}

// TestRedTeam9AliasKeywordBeforeJoin: PostgreSQL takes SET, VALUES and
// CONFLICT as a relation's alias, SQLite DO, OFFSET, WINDOW ... too, and
// the alias may be followed by a JOIN, or by the ON or USING of the
// join it ends: the FROM list goes on after the join. The reader takes
// such a word for the clause it may also start, ends the list there,
// and misses every relation after the next ','.
func TestRedTeam9AliasKeywordBeforeJoin(t *testing.T) {
	for _, q := range []string{
		`SELECT 1 FROM notes JOIN audit_logs set ON true, users`,
		`SELECT 1 FROM notes set JOIN audit_logs ON true, users`,
		`SELECT 1 FROM notes JOIN audit_logs AS values ON true, users`,
		`SELECT 1 FROM notes JOIN audit_logs conflict USING (id), users`,
		`SELECT 1 FROM notes set CROSS JOIN audit_logs, users`,
		`SELECT 1 FROM notes AS set NATURAL JOIN audit_logs, users`,
		`SELECT 1 FROM notes set LEFT OUTER JOIN audit_logs ON true, users`,
		`SELECT 1 FROM notes set INNER JOIN audit_logs ON true, users`,
		`SELECT 1 FROM notes set RIGHT JOIN audit_logs ON true, users`,
		`SELECT 1 FROM notes set FULL JOIN audit_logs ON true, users`,
		`SELECT 1 FROM notes JOIN (SELECT 1 AS id) set USING (id), users`,
		`SELECT 1 FROM notes values JOIN audit_logs ON true, users`,
		`UPDATE notes SET x = 1 FROM audit_logs set JOIN users ON true, archive`,
		`DELETE FROM notes USING audit_logs set JOIN users ON true, archive`,
	} {
		r9want(t, Postgres, q, "notes", "users")
	}
	for _, q := range []string{
		`SELECT 1 FROM notes AS do JOIN audit_logs ON true, users`,
		`SELECT 1 FROM notes offset JOIN audit_logs ON true, users`,
		`SELECT 1 FROM notes window LEFT JOIN audit_logs ON true, users`,
		`SELECT 1 FROM notes JOIN audit_logs AS window USING (id), users`,
	} {
		r9want(t, SQLite, q, "notes", "users")
	}
	// Where the word is no alias, the list still ends.
	for _, tt := range []tcase{
		pg(`SELECT * FROM notes WINDOW w AS (ORDER BY id), x`, "notes"),
		pg(`SELECT * FROM notes FOR UPDATE OF notes, x`, "notes"),
		pg(`INSERT INTO t SELECT * FROM notes ON CONFLICT DO NOTHING`, "t", "notes"),
		pg(`SELECT * FROM notes OFFSET 1 ROWS FETCH NEXT 1 ROWS ONLY`, "notes"),
	} {
		got, err := Tables(tt.sql, tt.d)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Tables(%q) = %v, %v; want %v", tt.sql, got, err, tt.want)
		}
	}
}

// TestRedTeam9KeywordTableNames: words the reader knows as keywords
// name tables where a relation stands: PostgreSQL takes VALUES, SET, OF
// and EXISTS unquoted as a table's name (a GORM model Value has the
// table values); SQLite many more (WINDOW, OFFSET, GRANT, ONLY ...,
// which are no keywords of its own or fall back to names). The reader
// takes them for the clause they may start and names nothing.
func TestRedTeam9KeywordTableNames(t *testing.T) {
	for _, name := range []string{"values", "set", "of", "exists"} {
		for _, q := range []string{
			`SELECT * FROM %s`,
			`SELECT * FROM notes, %s`,
			`SELECT * FROM notes JOIN %s ON true`,
			`SELECT * FROM %s AS k, notes`,
			`SELECT * FROM ONLY %s`,
			`INSERT INTO %s VALUES (1, 2)`,
			`DELETE FROM %s`,
			`DELETE FROM notes USING %s`,
			`UPDATE notes SET x = 1 FROM %s`,
			`TABLE %s`,
			`TRUNCATE %s`,
			`LOCK %s`,
			`MERGE INTO %s USING notes ON true WHEN MATCHED THEN DELETE`,
			`MERGE INTO notes USING %s ON true WHEN MATCHED THEN DELETE`,
			`COPY %s TO STDOUT`,
			`ALTER TABLE %s ADD COLUMN y int`,
			`CREATE INDEX ON %s (x)`,
		} {
			r9want(t, Postgres, sprintf(q, name), name)
		}
	}
	r9want(t, Postgres, `UPDATE values SET x = 1`, "values")
	for _, name := range []string{"window", "offset", "grant", "fetch", "only", "lateral", "verbose",
		"analyze", "do", "for", "of", "full", "like", "freeze", "concurrently", "left", "natural", "desc", "end", "true"} {
		for _, q := range []string{
			`SELECT * FROM %s`,
			`SELECT * FROM notes, %s`,
			`SELECT * FROM notes JOIN %s ON true`,
			`SELECT * FROM %s AS k, notes`,
			`INSERT INTO %s VALUES (1, 2)`,
			`INSERT OR IGNORE INTO %s VALUES (1, 2)`,
			`REPLACE INTO %s VALUES (1, 2)`,
			`UPDATE %s SET x = 1`,
			`DELETE FROM %s`,
			`SELECT * FROM notes WHERE x IN (SELECT x FROM %s)`,
		} {
			r9want(t, SQLite, sprintf(q, name), name)
		}
	}
	// What the words start stays read so.
	for _, tt := range []tcase{
		pg(`SELECT * FROM (VALUES (1), (2)) v, notes`, "notes"),
		pg(`INSERT INTO notes VALUES (1)`, "notes"),
		pg(`MERGE INTO notes n USING audit_logs a ON true WHEN MATCHED THEN UPDATE SET body = a.body`, "notes", "audit_logs"),
		pg(`DROP TABLE IF EXISTS notes`, "notes"),
		pg(`CREATE TABLE IF NOT EXISTS notes (id int)`, "notes"),
		pg(`COPY (VALUES (1)) TO STDOUT`),
		pg(`SELECT * FROM notes FOR UPDATE OF notes`, "notes"),
		list(`(VALUES (1)) v`),
		lite(`SELECT * FROM (VALUES (1)) v, notes`, "notes"),
		lite(`INSERT INTO notes VALUES (1) ON CONFLICT DO NOTHING`, "notes"),
	} {
		got, err := read(tt.sql, tt.d, tt.list)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Tables(%q) = %v, %v; want %v", tt.sql, got, err, tt.want)
		}
	}
}

// TestRedTeam9CreateAfterExplain: EXPLAIN ANALYZE runs the CREATE
// TABLE AS or CREATE MATERIALIZED VIEW AS it explains, and CREATE
// SCHEMA runs the CREATE VIEW, CREATE INDEX ... ON and GRANT ... ON it
// holds: the relation they create or name is not seen.
func TestRedTeam9CreateAfterExplain(t *testing.T) {
	r9want(t, Postgres, `EXPLAIN ANALYZE CREATE MATERIALIZED VIEW mv AS SELECT * FROM notes`, "mv", "notes")
	r9want(t, Postgres, `EXPLAIN (ANALYZE, COSTS OFF) CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS TABLE notes`, "mv", "notes")
	r9want(t, Postgres, `CREATE SCHEMA s CREATE VIEW v AS SELECT 1 CREATE TABLE t (id int)`, "v", "t")
	r9want(t, Postgres, `CREATE SCHEMA s CREATE TABLE t (id int) CREATE INDEX i ON t (id)`, "t")
	r9want(t, Postgres, `CREATE SCHEMA s GRANT SELECT ON audit_logs TO app`, "audit_logs")
}

// TestRedTeam9TableList: CREATE PUBLICATION ... FOR TABLE a, b and
// ALTER PUBLICATION ... ADD TABLE a, b name every relation of the list.
func TestRedTeam9TableList(t *testing.T) {
	r9want(t, Postgres, `CREATE PUBLICATION p FOR TABLE audit_logs, notes`, "audit_logs", "notes")
	r9want(t, Postgres, `ALTER PUBLICATION p ADD TABLE audit_logs, ONLY notes`, "audit_logs", "notes")
	r9want(t, Postgres, `CREATE PUBLICATION p FOR TABLE audit_logs (id, x) WHERE (x > 1), TABLE notes`, "audit_logs", "notes")
}

// TestRedTeam9CommentOnConstraint: COMMENT ON CONSTRAINT c ON t, like
// the trigger, rule and policy forms, names t.
func TestRedTeam9CommentOnConstraint(t *testing.T) {
	r9want(t, Postgres, `COMMENT ON CONSTRAINT audit_logs_pkey ON audit_logs IS 'x'`, "audit_logs")
	r9want(t, Postgres, `COMMENT ON CONSTRAINT c ON public.audit_logs IS NULL`, "public.audit_logs")
}

func sprintf(f string, a ...any) string { return fmt.Sprintf(f, a...) }

// TestRedTeam9CreateLabel: CREATE and GRANT are labels of columns too
// (PostgreSQL takes any keyword after AS): the FROM after them is read.
func TestRedTeam9CreateLabel(t *testing.T) {
	for _, tt := range []tcase{
		pg(`SELECT 1 AS create FROM audit_logs`, "audit_logs"),
		pg(`SELECT 1 AS create, 2 AS grant FROM audit_logs, notes`, "audit_logs", "notes"),
		pg(`CREATE VIEW v AS SELECT 1 AS grant FROM audit_logs`, "v", "audit_logs"),
		pg(`CREATE TABLE t AS SELECT 1 AS create FROM audit_logs`, "t", "audit_logs"),
		pg(`SELECT 1 AS table, x.y FROM audit_logs`, "audit_logs"),
	} {
		got, err := Tables(tt.sql, tt.d)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Tables(%q) = %v, %v; want %v", tt.sql, got, err, tt.want)
		}
	}
}

// TestRedTeam9LoopEndsForQuery: in a DO body, FOR r IN query LOOP runs
// the statements after LOOP on their own: a CTE of the FOR's query is
// not in scope there, and a table of its name is the table.
func TestRedTeam9LoopEndsForQuery(t *testing.T) {
	r9want(t, Postgres, `DO $$ DECLARE r record; BEGIN FOR r IN WITH audit_logs AS (SELECT 1 AS id) SELECT * FROM audit_logs LOOP DELETE FROM notes USING audit_logs WHERE notes.id = audit_logs.id; END LOOP; END $$`,
		"notes", "audit_logs")
	r9want(t, Postgres, `DO $$ DECLARE r record; BEGIN FOR r IN WITH audit_logs AS (SELECT 1 AS id) SELECT * FROM audit_logs LOOP PERFORM * FROM audit_logs; END LOOP; END $$`,
		"audit_logs")
}

// TestRedTeam9SQLiteTclVariables: SQLite reads a parameter $name, :name,
// @name or #name (and $1, :1 ...) with Tcl's suffixes: "::" parts and
// a "(...)" running to the next ')' or space, all one token. The reader
// ended the parameter at its name, so that a "/*" or "--" in the suffix
// hid the rest of the statement: SQLite runs the SELECT below on
// audit_logs, the reader saw no relation.
func TestRedTeam9SQLiteTclVariables(t *testing.T) {
	for _, q := range []string{
		`SELECT :x(/*) FROM audit_logs --*/)`,
		`SELECT @x(/*) FROM audit_logs --*/)`,
		`SELECT $x(/*) FROM audit_logs --*/)`,
		`SELECT #x(/*) FROM audit_logs --*/)`,
		`SELECT $x::y(/*) FROM audit_logs --*/)`,
		`SELECT :1(/*) FROM audit_logs --*/)`,
		`SELECT $1(/*) FROM audit_logs --*/)`,
		`SELECT * FROM notes WHERE id = :id(') UNION SELECT * FROM audit_logs --')`,
	} {
		r9want(t, SQLite, q, "audit_logs")
	}
	for _, tt := range []tcase{
		lite(`SELECT * FROM notes WHERE a = :a AND b = @b AND c = $c AND d = #d AND e = :e::f(g) AND f = $1`, "notes"),
		pg(`SELECT a[1:n], x::int, a[2:f(n)] FROM notes`, "notes"),
		pg(`SELECT x # y, $1 FROM notes`, "notes"),
	} {
		got, err := Tables(tt.sql, tt.d)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Tables(%q) = %v, %v; want %v", tt.sql, got, err, tt.want)
		}
	}
}
