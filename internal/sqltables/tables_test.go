package sqltables

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// tcase is one row of the table test: an input, its dialect, whether it
// is given to FromList, and the exact result.
type tcase struct {
	sql     string
	d       Dialect
	list    bool
	want    []Ref
	errWhat string // the *Error's What, "" for no error
	errAt   int
}

// refs builds the expected relations: "name", "schema.name" (split at
// the first '.', or at '|' when the name holds a '.'), "name()" for a
// function.
func refs(items ...string) []Ref {
	var out []Ref
	for _, it := range items {
		var r Ref
		if strings.HasSuffix(it, "()") {
			r.Func = true
			it = strings.TrimSuffix(it, "()")
		}
		sep := "."
		if strings.Contains(it, "|") {
			sep = "|"
		}
		if s, n, ok := strings.Cut(it, sep); ok {
			r.Schema, r.Name = s, n
		} else {
			r.Name = it
		}
		out = append(out, r)
	}
	return out
}

func pg(sql string, want ...string) tcase   { return tcase{sql: sql, want: refs(want...)} }
func lite(sql string, want ...string) tcase { return tcase{sql: sql, d: SQLite, want: refs(want...)} }
func list(sql string, want ...string) tcase { return tcase{sql: sql, list: true, want: refs(want...)} }
func listLite(sql string, want ...string) tcase {
	return tcase{sql: sql, d: SQLite, list: true, want: refs(want...)}
}
func bad(d Dialect, sql, what string, at int) tcase {
	return tcase{sql: sql, d: d, errWhat: what, errAt: at}
}

var tableTests = []tcase{
	// The examples of the brief, literally.
	pg(`SELECT count(*) FROM ONLY audit_logs`, "audit_logs"),
	pg(`SELECT EXTRACT(YEAR FROM now()), count(*) FROM audit_logs`, "audit_logs"),
	pg(`TRUNCATE audit_logs`, "audit_logs"),
	pg(`TRUNCATE TABLE audit_logs`, "audit_logs"),
	pg(`/* from audit_logs */ UPDATE notes SET body = 'x'`, "notes"),
	pg(`SELECT body AS "from hospitals" FROM notes`, "notes"),
	list(`audit_logs AS a`, "audit_logs"),
	list(`audit_logs a`, "audit_logs"),
	list(`(?) AS s`),
	list(`notes`, "notes"),

	// Lexing, PostgreSQL.
	pg("SELECT 1 -- FROM audit_logs\nFROM notes", "notes"),
	pg("SELECT 1 -- FROM audit_logs"),
	pg(`SELECT 1 /* a /* FROM audit_logs */ still a comment FROM hospitals */ FROM notes`, "notes"),
	pg(`SELECT 'it''s FROM audit_logs' FROM notes`, "notes"),
	pg(`SELECT E'it\'s FROM audit_logs' FROM notes`, "notes"),
	pg(`SELECT e'\\' FROM notes`, "notes"),
	pg(`SELECT 'a\' FROM notes`, "notes"),
	pg(`SELECT E'a\' FROM audit_logs' FROM notes`, "notes"),
	pg(`SELECT U&'d\0061t\+000061 FROM audit_logs' FROM notes`, "notes"),
	pg(`SELECT B'1010', X'FF', N'FROM audit_logs' FROM notes`, "notes"),
	pg(`SELECT $$ FROM audit_logs $$ FROM notes`, "notes"),
	pg(`SELECT $tag$ it's $$ FROM audit_logs $tag$ FROM notes`, "notes"),
	pg(`SELECT $a$ $b$ FROM audit_logs $b$ $a$ FROM notes`, "notes"),
	pg(`SELECT * FROM notes WHERE id = $1`, "notes"),
	pg(`SELECT * FROM notes WHERE id = $1 AND body = $2`, "notes"),
	pg(`SELECT a$b FROM notes$x`, "notes$x"),
	pg(`SELECT "a ""b"" c" FROM "from hospitals"`, "from hospitals"),
	pg(`SELECT * FROM "a ""b"" c"`, `a "b" c`),
	pg(`SELECT x::text, y::int[] FROM notes`, "notes"),
	pg(`SELECT "FROM audit_logs" FROM notes`, "notes"),
	pg(`SELECT 'FROM audit_logs'`),
	pg(`SELECT $$FROM audit_logs$$`),
	pg(`SELECT "FROM audit_logs"`),
	pg(`SELECT 1.5e-3, .5, 1e10 FROM notes`, "notes"),
	pg(`SELECT data->>'x', data ? 'k', data @> '{}' FROM notes`, "notes"),
	pg(`SELECT * FROM U&"d\0061ta"`, "data"),
	pg(`SELECT * FROM U&"d!0061ta" UESCAPE '!'`, "data"),
	pg(`SELECT * FROM U&"d!0061ta" /* c */ uescape
 '!' n`, "data"),
	pg(`SELECT * FROM U&"\D83D\DE00x\\y""z"`, "\U0001F600x\\y\"z"),
	pg(`SELECT * FROM u&"\+01F600"`, "\U0001F600"),
	pg(`SELECT * FROM U&"notes", U&"x"."y"`, "notes", "x.y"),
	pg(`SELECT * FROM `+strings.Repeat("a", 70)+`, "`+strings.Repeat("B", 64)+`é"`, strings.Repeat("a", 63), strings.Repeat("B", 63)),
	pg(`SELECT * FROM "`+strings.Repeat("B", 62)+`é"`, strings.Repeat("B", 62)),
	lite(`SELECT * FROM `+strings.Repeat("a", 70), strings.Repeat("a", 70)),
	pg(`SELECT * FROM notes WHERE body = $tag$it's FROM audit_logs$tag$`, "notes"),
	pg("SELECT 1 -- a\r\nFROM notes", "notes"),
	pg(`SELECT 1/2, 3--4
FROM notes`, "notes"),

	// Lexing, SQLite.
	lite(`SELECT 1 /* a /* b */ FROM notes`, "notes"),
	lite("SELECT 1 -- FROM audit_logs\nFROM notes", "notes"),
	lite(`SELECT [from audit_logs] FROM notes`, "notes"),
	lite(`SELECT * FROM [Order Details]`, "Order Details"),
	lite("SELECT * FROM `my``table`", "my`table"),
	lite("SELECT `from audit_logs` FROM `notes`", "notes"),
	lite(`SELECT * FROM notes WHERE id = ?1 AND x = :name AND y = @p AND z = $v`, "notes"),
	lite(`SELECT * FROM notes WHERE id = ? AND x = ?`, "notes"),
	lite(`SELECT $$ FROM notes`, "notes"),
	lite(`SELECT E'x' FROM notes`, "notes"),
	lite(`SELECT 'a\' FROM notes`, "notes"),
	lite(`SELECT 'it''s FROM audit_logs' FROM notes`, "notes"),
	lite(`SELECT X'FF' FROM notes`, "notes"),
	lite(`SELECT * FROM 'notes'`, "notes"),
	lite(`SELECT * FROM "Notes"`, "Notes"),
	lite(`SELECT * FROM main.notes`, "main.notes"),
	lite(`SELECT "from audit_logs" FROM notes`, "notes"),

	// Errors.
	bad(Postgres, `SELECT 'abc`, "string literal", 7),
	bad(Postgres, `SELECT "abc FROM notes`, "quoted identifier", 7),
	bad(Postgres, `SELECT 1 /* x FROM notes`, "block comment", 9),
	bad(Postgres, `SELECT /* /* */ 1 FROM notes`, "block comment", 7),
	bad(Postgres, `SELECT 1 /* x /* y */ FROM notes`, "block comment", 9),
	bad(Postgres, `SELECT $$ x FROM notes`, "dollar-quoted string", 7),
	bad(Postgres, `SELECT $a$ x $b$ FROM notes`, "dollar-quoted string", 7),
	bad(Postgres, `SELECT E'\' FROM notes`, "string literal", 7),
	bad(Postgres, `SELECT * FROM notes WHERE a = 'x`, "string literal", 30),
	bad(Postgres, `SELECT U&"abc`, "quoted identifier", 7),
	bad(Postgres, `SELECT * FROM U&"a\00"`, whatEscape, 14),
	bad(Postgres, `SELECT * FROM U&"a\x"`, whatEscape, 14),
	bad(Postgres, `SELECT * FROM U&"a\0000"`, whatEscape, 14),
	bad(Postgres, `SELECT * FROM U&"a\D83D"`, whatEscape, 14),
	bad(Postgres, `SELECT * FROM U&"a\DE00"`, whatEscape, 14),
	bad(Postgres, `SELECT * FROM U&"a\D83Dx"`, whatEscape, 14),
	bad(Postgres, `SELECT * FROM U&"a\+110000"`, whatEscape, 14),
	bad(Postgres, `SELECT * FROM U&"a" UESCAPE 'a'`, whatEscape, 20),
	bad(Postgres, `SELECT * FROM U&"a" UESCAPE '+'`, whatEscape, 20),
	bad(Postgres, `SELECT * FROM U&"a" UESCAPE ''`, whatEscape, 20),
	bad(Postgres, `SELECT * FROM notes WHERE a IN `+strings.Repeat("(SELECT 1 FROM t WHERE b IN ", 70)+"(1)"+strings.Repeat(")", 70), whatDeep, 31+63*28),
	bad(Postgres, `DO $$ BEGIN DELETE FROM notes WHERE a = 'x; END $$`, "string literal", 40),
	bad(SQLite, `SELECT [abc`, "quoted identifier", 7),
	bad(SQLite, "SELECT `abc", "quoted identifier", 7),
	bad(SQLite, `SELECT 1 /* x`, "block comment", 9),
	bad(SQLite, `SELECT 'abc`, "string literal", 7),

	// Names: qualified, quoted, folded; aliases are not relations.
	pg(`SELECT * FROM notes`, "notes"),
	pg(`select * from Notes`, "notes"),
	pg(`SELECT * FROM "Notes"`, "Notes"),
	pg(`SELECT * FROM public.notes`, "public.notes"),
	pg(`SELECT * FROM "Public"."Notes"`, "Public.Notes"),
	pg(`SELECT * FROM Public . Notes`, "public.notes"),
	pg(`SELECT * FROM db.s.t`, "s.t"),
	pg(`SELECT * FROM "order"`, "order"),
	pg(`SELECT * FROM "a.b"`, "|a.b"),
	pg(`SELECT * FROM "s.x"."a.b"`, "s.x|a.b"),
	pg(`SELECT * FROM notes AS "from hospitals"`, "notes"),
	pg(`SELECT * FROM notes n`, "notes"),
	pg(`SELECT * FROM notes AS audit_logs`, "notes"),
	pg(`SELECT * FROM "from" JOIN "join" ON true`, "from", "join"),
	pg(`SELECT "select" FROM "where"`, "where"),
	pg(`select * FrOm Notes JOIN AUDIT_LOGS on true`, "notes", "audit_logs"),
	pg(`SELECT * FROM notes JOIN notes n2 ON true, public.notes`, "notes", "public.notes"),
	pg(`SELECT a.* FROM notes a`, "notes"),
	pg(`SELECT * FROM notes.`, "notes"),

	// FROM lists and joins.
	pg(`SELECT * FROM audit_logs * WHERE x`, "audit_logs"),
	pg(`SELECT * FROM a INNER JOIN b ON a.id = b.id LEFT JOIN c USING (id) RIGHT OUTER JOIN d ON true FULL JOIN e ON true CROSS JOIN f NATURAL JOIN g`,
		"a", "b", "c", "d", "e", "f", "g"),
	pg(`SELECT * FROM a JOIN LATERAL (SELECT * FROM b WHERE b.x = a.x) s ON true`, "a", "b"),
	pg(`SELECT * FROM a x, b AS y (c1, c2), LATERAL f(x) g, c`, "a", "b", "f()", "c"),
	pg(`SELECT * FROM (a JOIN b ON a.id = b.id) JOIN c ON true`, "a", "b", "c"),
	pg(`SELECT * FROM ((a JOIN b ON true) JOIN c ON true), d`, "a", "b", "c", "d"),
	pg(`SELECT * FROM (SELECT * FROM notes) s`, "notes"),
	pg(`SELECT * FROM ((SELECT 1 FROM a) UNION (SELECT 1 FROM b)) u, c`, "a", "b", "c"),
	pg(`SELECT * FROM a JOIN b ON a.x = b.x, c`, "a", "b", "c"),
	pg(`SELECT * FROM a, LATERAL (SELECT * FROM b) c, d`, "a", "b", "d"),
	pg(`SELECT * FROM a JOIN b USING (id), c`, "a", "b", "c"),
	pg(`SELECT * FROM a JOIN b ON CASE WHEN a.x THEN 1 ELSE 2 END = b.y, c`, "a", "b", "c"),
	pg(`SELECT * FROM notes TABLESAMPLE SYSTEM (10) REPEATABLE (1), audit_logs`, "notes", "audit_logs"),
	pg(`SELECT * FROM (VALUES (1), (2)) AS v(x) JOIN notes ON true`, "notes"),
	pg(`SELECT a, b, c FROM notes ORDER BY a, b`, "notes"),
	pg(`SELECT * FROM notes GROUP BY a, b HAVING count(*) > 1`, "notes"),

	// FROM that is not a FROM clause.
	pg(`SELECT substring(body FROM 1 FOR 2) FROM notes`, "notes"),
	pg(`SELECT substring(body FROM audit_logs FOR 2) FROM notes`, "notes"),
	pg(`SELECT trim(both 'x' FROM body) FROM notes`, "notes"),
	pg(`SELECT trim(LEADING FROM audit_logs) FROM notes`, "notes"),
	pg(`SELECT overlay(body PLACING 'x' FROM 2) FROM notes`, "notes"),
	pg(`SELECT position('a' IN body) FROM notes`, "notes"),
	pg(`SELECT EXTRACT(EPOCH FROM audit_logs.created_at) FROM notes`, "notes"),
	pg(`SELECT * FROM notes WHERE a IS DISTINCT FROM b`, "notes"),
	pg(`SELECT * FROM notes WHERE a IS NOT DISTINCT FROM audit_logs`, "notes"),
	pg(`SELECT x IS DISTINCT FROM audit_logs FROM notes`, "notes"),
	pg(`FETCH NEXT FROM audit_logs`),
	pg(`MOVE FORWARD 5 FROM audit_logs`),
	pg(`REVOKE SELECT ON notes FROM audit_logs`, "notes"),
	pg(`REVOKE ALL ON a FROM r; DELETE FROM b USING c`, "a", "b", "c"),
	pg(`COPY notes FROM STDIN`, "notes"),
	pg(`COPY notes (a, b) TO '/tmp/audit_logs.csv' WITH (FORMAT csv)`, "notes"),
	pg(`COPY (SELECT * FROM notes JOIN audit_logs ON true) TO STDOUT`, "notes", "audit_logs"),
	pg(`COPY notes FROM PROGRAM 'cat audit_logs'`, "notes"),
	pg(`SELECT EXTRACT(YEAR FROM (SELECT max(d) FROM audit_logs)) FROM notes`, "audit_logs", "notes"),

	// Functions in FROM positions.
	pg(`SELECT * FROM generate_series(1,3) g, audit_logs`, "generate_series()", "audit_logs"),
	pg(`SELECT * FROM unnest(a) WITH ORDINALITY AS u(x, n) JOIN t ON u.x = t.x`, "unnest()", "t"),
	pg(`SELECT * FROM ROWS FROM (f(), g()) AS x(a, b), t`, "f()", "g()", "t"),
	pg(`SELECT * FROM public.f(1)`, "public.f()"),
	pg(`SELECT * FROM rows`, "rows"),
	pg(`SELECT * FROM t, unnest(t.arr) WITH ORDINALITY u, v`, "t", "unnest()", "v"),
	pg(`SELECT * FROM f((SELECT max(id) FROM audit_logs))`, "f()", "audit_logs"),
	pg(`SELECT * FROM notes JOIN jsonb_each(notes.data) e ON true`, "notes", "jsonb_each()"),
	lite(`SELECT * FROM pragma_table_info(?)`, "pragma_table_info()"),
	lite(`SELECT * FROM notes, json_each(notes.data)`, "notes", "json_each()"),
	pg(`SELECT generate_series(1, 3) FROM notes`, "notes"),

	// INSERT, MERGE, SELECT INTO, REPLACE.
	pg(`INSERT INTO notes (body) VALUES ('from audit_logs')`, "notes"),
	pg(`INSERT INTO notes AS n (body) VALUES ('x') ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body`, "notes"),
	pg(`INSERT INTO notes SELECT * FROM generate_series(1, 10)`, "notes", "generate_series()"),
	pg(`INSERT INTO notes SELECT * FROM audit_logs ON CONFLICT (id) DO UPDATE SET a = 1, b = 2`, "notes", "audit_logs"),
	pg(`MERGE INTO notes n USING staging s ON n.id = s.id WHEN MATCHED THEN UPDATE SET body = s.body WHEN NOT MATCHED THEN INSERT (id) VALUES (s.id)`,
		"notes", "staging"),
	pg(`MERGE INTO notes USING (SELECT * FROM staging) s ON true WHEN MATCHED THEN DELETE`, "notes", "staging"),
	pg(`SELECT * INTO TEMP TABLE newt FROM notes`, "newt", "notes"),
	pg(`SELECT * INTO TEMPORARY newt FROM notes`, "newt", "notes"),
	pg(`SELECT * INTO UNLOGGED TABLE newt FROM notes`, "newt", "notes"),
	pg(`SELECT id, body INTO newt FROM notes`, "newt", "notes"),
	lite(`INSERT OR REPLACE INTO notes VALUES (1)`, "notes"),
	lite(`REPLACE INTO notes VALUES (1)`, "notes"),
	lite(`UPDATE OR IGNORE notes SET body = 'x'`, "notes"),
	lite(`INSERT OR IGNORE INTO notes SELECT * FROM audit_logs`, "notes", "audit_logs"),
	lite(`INSERT INTO notes DEFAULT VALUES`, "notes"),

	// UPDATE, and the UPDATE that is not a statement.
	pg(`UPDATE notes SET body = a.body FROM audit_logs a WHERE a.id = notes.id`, "notes", "audit_logs"),
	pg(`UPDATE ONLY notes * SET x = 1`, "notes"),
	pg(`UPDATE notes n SET x = 1 FROM a, b WHERE true`, "notes", "a", "b"),
	pg(`SELECT * FROM notes FOR UPDATE`, "notes"),
	pg(`SELECT * FROM notes FOR UPDATE OF notes SKIP LOCKED`, "notes"),
	pg(`SELECT * FROM notes n FOR UPDATE OF n NOWAIT`, "notes"),
	pg(`SELECT * FROM notes FOR NO KEY UPDATE`, "notes"),
	pg(`INSERT INTO notes VALUES (1) ON CONFLICT (id) DO UPDATE SET body = 'x'`, "notes"),
	pg(`INSERT INTO notes VALUES (1) ON DUPLICATE KEY UPDATE body = 'x'`, "notes"),
	pg(`CREATE TABLE notes (id int, user_id int REFERENCES users(id) ON UPDATE CASCADE)`, "notes", "users"),

	// DELETE ... USING, and USING that names no relation.
	pg(`DELETE FROM notes USING audit_logs a WHERE a.id = notes.id`, "notes", "audit_logs"),
	pg(`DELETE FROM ONLY notes WHERE id = 1`, "notes"),
	pg(`DELETE FROM notes USING a, b JOIN c USING (id) WHERE true`, "notes", "a", "b", "c"),
	pg(`CREATE INDEX idx ON notes USING btree (body)`, "notes"),
	pg(`CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS notes_idx ON ONLY notes USING gin (body)`, "notes"),
	pg(`CREATE INDEX ON notes (lower(body)) WHERE deleted_at IS NULL`, "notes"),

	// TRUNCATE, LOCK, TABLE.
	pg(`TRUNCATE TABLE ONLY a *, b RESTART IDENTITY CASCADE`, "a", "b"),
	pg(`LOCK TABLE ONLY a, b IN ACCESS EXCLUSIVE MODE`, "a", "b"),
	pg(`LOCK notes`, "notes"),
	pg(`TABLE notes`, "notes"),
	pg(`SELECT 1 UNION TABLE notes`, "notes"),
	pg(`CREATE TABLE x AS TABLE notes`, "x", "notes"),
	pg(`CREATE FUNCTION f() RETURNS TABLE(id int, body text) AS $$ SELECT id, body FROM audit_logs $$ LANGUAGE sql`),

	// The TABLE command (TABLE t is SELECT * FROM t) wherever a query
	// may stand.
	pg(`INSERT INTO archive TABLE notes`, "archive", "notes"),
	pg(`INSERT INTO archive AS a TABLE notes`, "archive", "notes"),
	pg(`INSERT INTO archive a TABLE notes`, "archive", "notes"),
	pg(`INSERT INTO archive (id, body) TABLE notes`, "archive", "notes"),
	pg(`INSERT INTO archive OVERRIDING SYSTEM VALUE TABLE notes`, "archive", "notes"),
	pg(`INSERT INTO archive (id) OVERRIDING USER VALUE TABLE notes ON CONFLICT DO NOTHING`, "archive", "notes"),
	pg(`INSERT INTO archive TABLE ONLY public.notes RETURNING *`, "archive", "public.notes"),
	pg(`INSERT INTO archive /* c */ TABLE -- c
 notes`, "archive", "notes"),
	pg(`INSERT INTO archive (TABLE notes)`, "archive", "notes"),
	pg(`WITH x AS (SELECT 1) INSERT INTO archive TABLE notes`, "archive", "notes"),
	pg(`WITH notes AS (SELECT 1) INSERT INTO archive TABLE notes`, "archive"),
	pg(`WITH x AS (TABLE notes) TABLE x`, "notes"),
	pg(`WITH x AS MATERIALIZED (TABLE notes) SELECT * FROM x`, "notes"),
	pg(`EXPLAIN TABLE notes`, "notes"),
	pg(`EXPLAIN ANALYZE TABLE notes`, "notes"),
	pg(`EXPLAIN ANALYZE VERBOSE TABLE notes`, "notes"),
	pg(`EXPLAIN (ANALYZE, BUFFERS) TABLE notes`, "notes"),
	pg(`EXPLAIN ANALYZE INSERT INTO archive TABLE notes`, "archive", "notes"),
	pg(`EXPLAIN CREATE TABLE x AS TABLE notes`, "x", "notes"),
	pg(`DECLARE c CURSOR FOR TABLE notes`, "notes"),
	pg(`DECLARE c BINARY NO SCROLL CURSOR WITH HOLD FOR TABLE notes`, "notes"),
	pg(`PREPARE p AS TABLE notes`, "notes"),
	pg(`(TABLE notes)`, "notes"),
	pg(`SELECT * FROM (TABLE notes) n JOIN (TABLE audit_logs) a ON true`, "notes", "audit_logs"),
	pg(`SELECT 1 WHERE 1 IN (TABLE notes) AND EXISTS (TABLE audit_logs)`, "notes", "audit_logs"),
	pg(`SELECT ARRAY(TABLE notes)`, "notes"),
	pg(`TABLE audit_logs UNION ALL TABLE notes`, "audit_logs", "notes"),
	pg(`SELECT 1 UNION DISTINCT TABLE notes`, "notes"),
	pg(`SELECT 1 INTERSECT TABLE notes EXCEPT ALL TABLE audit_logs`, "notes", "audit_logs"),
	pg(`CREATE TEMP TABLE x AS TABLE notes WITH NO DATA`, "x", "notes"),
	pg(`CREATE VIEW v AS TABLE notes`, "v", "notes"),
	pg(`CREATE OR REPLACE VIEW v WITH (security_barrier) AS TABLE notes`, "v", "notes"),
	pg(`CREATE MATERIALIZED VIEW v AS TABLE notes`, "v", "notes"),
	pg(`COPY (TABLE notes) TO STDOUT`, "notes"),
	pg(`MERGE INTO archive a USING (TABLE notes) n ON a.id = n.id WHEN NOT MATCHED THEN INSERT VALUES (n.id)`, "archive", "notes"),
	pg(`CREATE RULE r AS ON SELECT TO v DO INSTEAD TABLE notes`, "v", "notes"),
	pg(`DO $$ BEGIN INSERT INTO archive TABLE notes; END $$`, "archive", "notes"),
	pg(`DO $$ DECLARE r record; BEGIN FOR r IN TABLE notes LOOP END LOOP; END $$`, "notes"),
	pg(`DO $$ DECLARE c refcursor; BEGIN OPEN c FOR TABLE notes; END $$`, "notes"),
	pg(`CREATE FUNCTION f() RETURNS SETOF notes AS $$ SELECT 1 $$ LANGUAGE plpgsql; TABLE audit_logs`, "audit_logs"),
	// Where TABLE is no query: the DDL still names its relation, and no
	// more; the name after CREATE TRIGGER's REFERENCING ... TABLE is
	// none.
	pg(`CREATE FUNCTION f() RETURNS TABLE /* c */ (id int) LANGUAGE sql AS 'SELECT 1'`),
	pg(`CREATE TRIGGER trg AFTER INSERT ON notes REFERENCING NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION f()`, "notes"),
	pg(`CREATE TRIGGER trg AFTER UPDATE ON notes REFERENCING OLD TABLE oldrows NEW TABLE newrows FOR EACH STATEMENT EXECUTE FUNCTION f()`, "notes"),
	pg(`CREATE TABLE x (id int); TABLE notes`, "x", "notes"),
	pg(`CREATE FOREIGN TABLE x (id int) SERVER s`, "x"),
	pg(`ALTER TABLE x ADD COLUMN y int`, "x"),
	pg(`ALTER FOREIGN TABLE x ADD COLUMN y int`, "x"),
	pg(`DROP FOREIGN TABLE x, y`, "x", "y"),
	pg(`TRUNCATE TABLE x`, "x"),
	pg(`LOCK TABLE x IN SHARE MODE`, "x"),
	pg(`COPY x FROM STDIN`, "x"),
	pg(`GRANT SELECT ON TABLE x TO r`, "x"),
	pg(`REVOKE ALL ON TABLE x FROM r`, "x"),
	pg(`COMMENT ON TABLE x IS 'TABLE notes'`, "x"),
	pg(`COMMENT ON FOREIGN TABLE x IS 'y'`, "x"),
	pg(`SELECT * INTO TEMP TABLE x FROM notes`, "x", "notes"),
	pg(`REINDEX (VERBOSE) TABLE x`, "x"),
	// Where TABLE names a relation otherwise: still one.
	pg(`ALTER PUBLICATION p ADD TABLE notes`, "notes"),
	pg(`SECURITY LABEL ON TABLE notes IS 'x'`, "notes"),
	pg(`CREATE SCHEMA s CREATE TABLE t (id int)`, "t"),
	lite(`CREATE TABLE t (id int); DROP TABLE u; ALTER TABLE v RENAME TO w`, "t", "u", "v", "w"),

	// ONLY (name), wherever ONLY may stand.
	pg(`UPDATE ONLY (notes) SET x = 1`, "notes"),
	pg(`DELETE FROM ONLY (notes) USING audit_logs WHERE true`, "notes", "audit_logs"),
	pg(`TRUNCATE ONLY (notes), audit_logs`, "notes", "audit_logs"),
	pg(`LOCK TABLE ONLY (notes)`, "notes"),
	pg(`ALTER TABLE ONLY (notes) ADD COLUMN x int`, "notes"),
	pg(`TABLE ONLY (notes)`, "notes"),
	pg(`INSERT INTO archive TABLE ONLY (public.notes)`, "archive", "public.notes"),
	pg(`MERGE INTO ONLY (notes) USING audit_logs ON true WHEN MATCHED THEN DELETE`, "notes", "audit_logs"),
	pg(`MERGE INTO ONLY notes n USING audit_logs a ON true WHEN MATCHED THEN DELETE`, "notes", "audit_logs"),
	pg(`CREATE INDEX i ON ONLY (notes) (body)`, "notes"),

	// CREATE, ALTER, DROP, COMMENT.
	pg(`CREATE TABLE notes (id bigint PRIMARY KEY, body text)`, "notes"),
	pg(`CREATE TEMP TABLE IF NOT EXISTS t (id int)`, "t"),
	pg(`CREATE UNLOGGED TABLE t (id int)`, "t"),
	pg(`CREATE TEMPORARY TABLE IF NOT EXISTS "T" (id int)`, "T"),
	pg(`CREATE TABLE IF NOT EXISTS public.t (id int)`, "public.t"),
	pg(`CREATE TABLE t AS SELECT * FROM notes`, "t", "notes"),
	pg(`CREATE TABLE t (LIKE notes INCLUDING ALL)`, "t", "notes"),
	pg(`CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (MINVALUE) TO (10)`, "p1", "p"),
	pg(`CREATE TABLE c (x int) INHERITS (p1, p2)`, "c", "p1", "p2"),
	pg(`CREATE TABLE t (ts timestamp with time zone, body text CHECK (body LIKE 'x%'))`, "t"),
	pg(`CREATE TABLE "notes" ("id" bigserial,"user_id" bigint,PRIMARY KEY ("id"),CONSTRAINT "fk_users_notes" FOREIGN KEY ("user_id") REFERENCES "users"("id"))`,
		"notes", "users"),
	pg(`ALTER TABLE IF EXISTS ONLY notes ADD COLUMN x int`, "notes"),
	pg(`ALTER TABLE notes ADD CONSTRAINT fk FOREIGN KEY (uid) REFERENCES users (id) ON DELETE CASCADE`, "notes", "users"),
	pg(`ALTER TABLE notes RENAME TO notes_old`, "notes", "notes_old"),
	pg(`ALTER TABLE notes RENAME COLUMN a TO b`, "notes"),
	pg(`ALTER INDEX notes_idx RENAME TO notes_idx2`),
	pg(`ALTER VIEW v RENAME TO w`, "v", "w"),
	pg(`ALTER TABLE notes OWNER TO audit_logs`, "notes"),
	pg(`ALTER TABLE parent ATTACH PARTITION child FOR VALUES IN (1)`, "parent", "child"),
	pg(`DROP TABLE IF EXISTS a, b CASCADE`, "a", "b"),
	pg(`DROP TABLE notes`, "notes"),
	pg(`DROP INDEX notes_idx`),
	pg(`COMMENT ON TABLE notes IS 'from audit_logs'`, "notes"),
	pg(`COMMENT ON COLUMN notes.body IS 'x'`, "notes"),
	pg(`COMMENT ON COLUMN public.notes.body IS 'x'`, "public.notes"),
	pg(`COMMENT ON INDEX notes_idx IS 'x'`),
	pg(`CREATE VIEW v AS SELECT * FROM notes`, "v", "notes"),
	pg(`CREATE OR REPLACE TEMP VIEW v AS SELECT * FROM notes`, "v", "notes"),
	pg(`CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT * FROM notes WITH NO DATA`, "mv", "notes"),
	pg(`CREATE VIEW v (a, b) WITH (security_barrier) AS SELECT a, b FROM notes WITH LOCAL CHECK OPTION`, "v", "notes"),
	pg(`DROP MATERIALIZED VIEW IF EXISTS v, w`, "v", "w"),
	pg(`DROP VIEW v`, "v"),
	pg(`REFRESH MATERIALIZED VIEW CONCURRENTLY mv`, "mv"),
	pg(`REFRESH MATERIALIZED VIEW mv WITH DATA`, "mv"),
	pg(`ANALYZE VERBOSE notes`, "notes"),
	pg(`ANALYZE notes (body), audit_logs`, "notes", "audit_logs"),
	pg(`VACUUM FULL notes, audit_logs`, "notes", "audit_logs"),
	pg(`VACUUM (VERBOSE, ANALYZE) notes`, "notes"),
	pg(`VACUUM`),
	pg(`EXPLAIN ANALYZE SELECT * FROM notes`, "notes"),
	pg(`EXPLAIN (ANALYZE, BUFFERS) DELETE FROM notes`, "notes"),
	pg(`GRANT SELECT ON TABLE notes, audit_logs TO app`, "notes", "audit_logs"),
	pg(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO app`),
	pg(`GRANT USAGE ON SCHEMA audit_logs TO app`),
	pg(`GRANT SELECT ON ALL TABLES IN SCHEMA a, b TO app`),
	pg(`PREPARE p (int) AS UPDATE notes SET x = $1`, "notes"),
	pg(`SELECT a AS update FROM notes, audit_logs`, "notes", "audit_logs"),
	pg(`SELECT * FROM notes AS update, audit_logs`, "notes", "audit_logs"),
	pg(`GRANT SELECT, UPDATE (body), REFERENCES ON notes TO app WITH GRANT OPTION`, "notes"),
	pg(`GRANT app_role TO audit_logs`),
	pg(`CREATE FUNCTION f() RETURNS SETOF notes AS 'SELECT * FROM audit_logs' LANGUAGE sql`),
	pg(`CREATE TRIGGER trg AFTER INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION audit()`, "notes"),
	pg(`CREATE POLICY p ON notes FOR SELECT USING (owner = current_user)`, "notes"),
	pg(`DROP TRIGGER IF EXISTS trg ON notes`, "notes"),
	pg(`CREATE RULE r AS ON INSERT TO notes DO INSTEAD INSERT INTO audit_logs VALUES (NEW.id)`, "notes", "audit_logs"),
	pg(`REINDEX TABLE CONCURRENTLY notes`, "notes"),
	pg(`REINDEX INDEX notes_idx`),
	pg(`CLUSTER notes USING notes_pkey`, "notes"),
	pg(`CREATE SCHEMA audit_logs`),
	pg(`SET search_path TO audit_logs`),

	// CTEs.
	pg(`WITH x AS (SELECT * FROM notes) SELECT * FROM x, audit_logs`, "notes", "audit_logs"),
	pg(`WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n+1 FROM t WHERE n < 10) SELECT sum(n) FROM t`),
	pg(`WITH a AS MATERIALIZED (SELECT 1), b AS NOT MATERIALIZED (SELECT * FROM a JOIN notes ON true) SELECT * FROM b`, "notes"),
	pg(`WITH d AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM d`, "a", "b"),
	pg(`WITH u AS (UPDATE notes SET x = 1 RETURNING id) SELECT * FROM u`, "notes"),
	pg(`WITH notes AS (SELECT 1) SELECT * FROM public.notes, notes`, "public.notes"),
	pg(`WITH x AS (SELECT 1) SELECT * FROM x; SELECT * FROM x`, "x"),
	pg(`WITH "X" AS (SELECT 1) SELECT * FROM x`, "x"),
	pg(`WITH Recent AS (SELECT 1) SELECT * FROM RECENT`),
	lite(`WITH X AS (SELECT 1) SELECT * FROM "x"`),
	pg(`WITH x AS (SELECT * FROM audit_logs) DELETE FROM notes WHERE id IN (SELECT id FROM x)`, "audit_logs", "notes"),
	pg(`WITH x AS (SELECT 1) SELECT * FROM x UNION ALL TABLE notes`, "notes"),
	pg(`WITH x (a, b) AS (SELECT 1, 2) SELECT * FROM x JOIN (WITH y AS (SELECT 1) SELECT * FROM y) z ON true`),
	pg(`WITH f AS (SELECT 1) SELECT * FROM f()`, "f()"),

	// Decoys: reserved-looking names in strings, comments, aliases, columns.
	pg(`SELECT lower('x') FROM notes WHERE body LIKE '%from audit_logs%'`, "notes"),
	pg(`SELECT * FROM notes WHERE body = 'x' AND id IN (SELECT id FROM audit_logs WHERE tag = 'FROM hospitals')`, "notes", "audit_logs"),
	pg(`SELECT CASE WHEN x THEN 'from audit_logs' ELSE body END FROM notes`, "notes"),
	pg(`SELECT audit_logs FROM notes`, "notes"),
	pg(`SELECT notes.audit_logs, f(audit_logs) FROM notes`, "notes"),
	pg(`SELECT * FROM notes WHERE created_at AT TIME ZONE 'UTC' > now()`, "notes"),
	pg(`SELECT CAST(x AS timestamp with time zone) FROM notes`, "notes"),
	pg(`SELECT now()::timestamp with time zone, x FROM notes`, "notes"),
	pg(`DECLARE c CURSOR WITH HOLD FOR SELECT * FROM notes`, "notes"),
	pg(`SELECT * FROM notes ORDER BY id OFFSET 5 ROWS FETCH FIRST 10 ROWS ONLY`, "notes"),
	pg(`SELECT * FROM notes WHERE id = ANY($1::bigint[])`, "notes"),
	pg(`SELECT count(*) FILTER (WHERE x) OVER (PARTITION BY a ORDER BY b ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM notes`, "notes"),

	// A real reference in an odd position.
	pg(`SELECT (SELECT count(*) FROM audit_logs) AS n FROM notes`, "audit_logs", "notes"),
	pg(`SELECT * FROM notes WHERE EXISTS (SELECT 1 FROM audit_logs a WHERE a.note_id = notes.id)`, "notes", "audit_logs"),
	pg(`SELECT * FROM notes WHERE id IN (SELECT unnest($1::int[]))`, "notes"),
	pg(`SELECT ARRAY(SELECT id FROM audit_logs) FROM notes`, "audit_logs", "notes"),
	pg(`SELECT coalesce((SELECT max(id) FROM audit_logs), 0)`, "audit_logs"),
	pg(`SELECT 1 WHERE 1 = ANY (SELECT id FROM audit_logs)`, "audit_logs"),
	pg(`SELECT * FROM notes n JOIN LATERAL (SELECT * FROM audit_logs a WHERE a.id = n.id LIMIT 1) l ON true`, "notes", "audit_logs"),

	// Fragments.
	pg(`id IN (SELECT note_id FROM audit_logs)`, "audit_logs"),
	pg(`LEFT JOIN audit_logs a ON a.id = notes.id`, "audit_logs"),
	pg(`JOIN (SELECT * FROM audit_logs) a ON true`, "audit_logs"),
	pg(`EXISTS (SELECT 1 FROM audit_logs WHERE x)`, "audit_logs"),
	pg(`id = ?`),
	pg(`body = 'FROM audit_logs'`),

	// Placeholders are never relations.
	pg(`SELECT * FROM ?`),
	pg(`SELECT * FROM $1`),
	lite(`SELECT * FROM :tbl`),
	lite(`SELECT * FROM @tbl`),
	lite(`SELECT * FROM ?1 JOIN notes ON true`, "notes"),

	// DO bodies run now: they are read as SQL.
	pg(`DO $$ BEGIN INSERT INTO audit_logs VALUES (1); END $$`, "audit_logs"),
	pg(`DO LANGUAGE plpgsql $body$ BEGIN UPDATE notes SET x = 1; DELETE FROM audit_logs; END $body$`, "notes", "audit_logs"),
	pg(`DO $$ DECLARE n int; BEGIN SELECT count(*) INTO n FROM notes; TRUNCATE audit_logs; END $$`, "notes", "audit_logs"),
	pg(`DO $$ BEGIN IF true THEN TRUNCATE audit_logs; END IF; END $$`, "audit_logs"),
	pg(`DO 'BEGIN DELETE FROM audit_logs; END'`, "audit_logs"),
	pg(`DO $$ BEGIN PERFORM 1 FROM notes; END $$ LANGUAGE plpgsql; SELECT * FROM audit_logs`, "notes", "audit_logs"),
	pg(`DO $$ BEGIN INSERT INTO notes VALUES (1) RETURNING id INTO v; END $$`, "notes"),
	pg(`DO $$ BEGIN FOR r IN SELECT * FROM notes LOOP DELETE FROM audit_logs WHERE id = r.id; END LOOP; END $$`, "notes", "audit_logs"),
	pg(`DO $$ BEGIN (( ; END $$; SELECT * FROM notes`, "notes"),

	// DO bodies in every string form: E'...' with its escapes decoded,
	// U&'...' [UESCAPE 'c'], several parts joined.
	pg(`DO E'BEGIN DELETE FROM audit_logs; END'`, "audit_logs"),
	pg(`DO E'BEGIN INSERT INTO archive SELECT * FROM notes; END'`, "archive", "notes"),
	pg(`DO LANGUAGE plpgsql E'BEGIN PERFORM 1 FROM notes; END'`, "notes"),
	pg(`DO e'BEGIN PERFORM 1 FROM notes; END' LANGUAGE plpgsql; SELECT * FROM audit_logs`, "notes", "audit_logs"),
	pg(`DO E'BEGIN PERFORM 1 FROM notes WHERE body = \'FROM decoy\'; END'`, "notes"),
	// Without escapes an E'...' body is read as a '...' one is, in place:
	// what its strings hold may be taken for SQL, never the reverse.
	pg(`DO E'BEGIN PERFORM 1 FROM notes WHERE body = ''FROM decoy''; END'`, "notes", "decoy"),
	pg(`DO E'BEGIN PERFORM 1 FROM notes WHERE body = E\'\\\' FROM decoy\'; END'`, "notes"),
	pg(`DO E'BEGIN PERFORM 1 FROM\nno\x74es,\x9 audit\x5Flogs\r\f\b; END'`, "notes", "audit_logs"),
	pg(`DO E'BEGIN PERFORM 1 FROM no\164es, \141udit_logs, \1410; END'`, "notes", "audit_logs", "a0"),
	pg(`DO E'BEGIN PERFORM 1 FROM no\u0074es, \U00000061udit_logs, \uD83D\uDE00, \303\251t\xC3\xa9; END'`, "notes", "audit_logs", "\U0001F600", "été"),
	pg(`DO E'BEGIN PERFORM 1 FROM \q\xz\\; END'`, "qxz"),
	pg(`DO E'DO E\'BEGIN DELETE FROM no\\x74es; END\'; DELETE FROM audit_logs'`, "notes", "audit_logs"),
	pg(`DO U&'BEGIN PERFORM 1 FROM notes; END'`, "notes"),
	pg(`DO U&'BEGIN PERFORM 1 FROM no\0074es, \+000061udit_logs, \D83D\DE00, a\\b; END'`, "notes", "audit_logs", "\U0001F600", "a"),
	pg(`DO u&'BEGIN PERFORM 1 FROM no!0074es WHERE x = ''\''; END' /* c */ UESCAPE '!'`, "notes"),
	pg("DO 'BEGIN PERFORM 1 FROM '\n'notes; END'", "notes"),
	pg("DO 'BEGIN PERFORM 1 FROM ' -- c\r\n  \t-- d\n'notes; END'", "notes"),
	pg("DO E'BEGIN PERFORM 1 '\n'FROM no\\x74es; END'", "notes"),
	pg("DO E'BEGIN PERFORM 1 FROM no'\n'\\x74es; END'", "notes"),
	pg("DO U&'BEGIN PERFORM 1 FROM '\n'no\\0074es; END'", "notes"),
	pg("DO LANGUAGE E'plpgsql' $$ BEGIN DELETE FROM notes; END $$", "notes"),
	pg("DO LANGUAGE U&'plpgsql' $$ BEGIN DELETE FROM notes; END $$", "notes"),
	pg("DO LANGUAGE 'plpg'\n'sql' $$ BEGIN DELETE FROM notes; END $$", "notes"),
	pg(`DO B'1'; SELECT * FROM notes`, "notes"),
	pg(`DO $$ BEGIN PERFORM 1 FROM U&"a!0062"$$ UESCAPE '!'`, "a!0062"),
	// Escape strings in several parts: the parts after the first are
	// E'...' too.
	pg("SELECT E'x'\n'\\' FROM decoy' FROM notes", "notes"),
	pg("SELECT E'x'\n'a\\'' FROM audit_logs --'", "audit_logs"),
	pg("SELECT 'x'\n'it''s' FROM notes", "notes"),
	bad(Postgres, `DO E'BEGIN PERFORM 1 FROM\vnotes; END'`, whatDOEscape, 3),
	bad(Postgres, `SELECT 1; DO E'BEGIN PERFORM 1 FROM \u12; END'`, whatDOEscape, 13),
	bad(Postgres, `DO E'\uD83D notes'`, whatDOEscape, 3),
	bad(Postgres, `DO E'\uDE00 notes'`, whatDOEscape, 3),
	bad(Postgres, `DO E'\U00110000 notes'`, whatDOEscape, 3),
	bad(Postgres, `DO E'\u0000 notes'`, whatDOEscape, 3),
	bad(Postgres, `DO E'\000 notes'`, whatDOEscape, 3),
	bad(Postgres, `DO E'\xff notes'`, whatDOEscape, 3),
	bad(Postgres, `DO U&'\x notes'`, whatDOEscape, 3),
	bad(Postgres, `DO U&'\D83D notes'`, whatDOEscape, 3),
	bad(Postgres, `DO U&'!0074 notes' UESCAPE 'a'`, whatDOEscape, 3),
	bad(Postgres, `DO E'BEGIN PERFORM 1 FROM notes WHERE a = \'x; END'`, "string literal", 3),
	bad(Postgres, "SELECT E'x'\n'\\' FROM notes", "string literal", 7),

	// Several statements; statement context resets at ';'.
	pg(`SELECT 1 FROM a; SELECT 2 FROM b`, "a", "b"),
	pg(`COPY a FROM STDIN; SELECT * FROM b`, "a", "b"),
	pg(`GRANT SELECT ON a TO r; SELECT * FROM b`, "a", "b"),
	pg(`FETCH ALL FROM c; SELECT * FROM b`, "b"),
	pg(`SELECT * FROM notes;`, "notes"),
	pg(`;;; SELECT * FROM notes ;;`, "notes"),

	// What GORM sends.
	pg(`SELECT * FROM "notes" WHERE "notes"."id" = $1 AND "notes"."deleted_at" IS NULL ORDER BY "notes"."id" LIMIT 1`, "notes"),
	pg(`INSERT INTO "notes" ("body","created_at") VALUES ($1,$2) RETURNING "id"`, "notes"),
	pg(`UPDATE "notes" SET "body"=$1,"updated_at"=$2 WHERE "id" = $3`, "notes"),
	pg(`DELETE FROM "notes" WHERE "notes"."id" = $1`, "notes"),
	pg(`SELECT count(*) FROM information_schema.tables WHERE table_schema = CURRENT_SCHEMA() AND table_name = $1 AND table_type = $2`,
		"information_schema.tables"),
	lite("SELECT count(*) FROM sqlite_master WHERE type = ? AND name = ?", "sqlite_master"),
	lite("CREATE TABLE IF NOT EXISTS `notes` (`id` integer,`body` text,PRIMARY KEY (`id`))", "notes"),
	lite("CREATE VIRTUAL TABLE ft USING fts5(body)", "ft"),
	lite("VACUUM INTO 'backup.db'"),
	lite("VACUUM main"),
	lite("PRAGMA table_info(notes)"),
	lite("CREATE TRIGGER trg AFTER INSERT ON notes BEGIN UPDATE audit_logs SET n = n + 1; END", "notes", "audit_logs"),
	lite("SELECT * FROM notes INDEXED BY idx WHERE x", "notes"),
	lite("ANALYZE notes", "notes"),

	// FromList.
	list(`public.notes`, "public.notes"),
	list(`a, b`, "a", "b"),
	list(`(SELECT id FROM audit_logs) AS s`, "audit_logs"),
	list(`"Notes" n`, "Notes"),
	list(`notes JOIN users ON users.id = notes.user_id`, "notes", "users"),
	list(`generate_series(1, 3) AS g`, "generate_series()"),
	list(`?`),
	list(`notes AS "from hospitals"`, "notes"),
	list(`ONLY notes`, "notes"),
	listLite("`notes`", "notes"),
	listLite(`'notes' n`, "notes"),
	listLite(`@tbl`),

	// A carriage return ends a line comment for PostgreSQL, not for
	// SQLite; the comment is read by both the fast path and the lexer.
	pg("SELECT body FROM audit_logs -- x\rUNION ALL SELECT body FROM notes", "audit_logs", "notes"),
	pg("SELECT body FROM audit_logs -- "+strings.Repeat("x", 300)+"\rUNION ALL SELECT body FROM notes", "audit_logs", "notes"),
	pg("SELECT * FROM audit_logs a JOIN -- x\r notes n ON true", "audit_logs", "notes"),
	lite("SELECT body FROM audit_logs -- x\rUNION ALL SELECT body FROM notes", "audit_logs"),
	lite("SELECT body FROM audit_logs -- x\r\nUNION ALL SELECT body FROM notes", "audit_logs", "notes"),

	// Keywords that end a FROM list may also be a relation's alias, or
	// a column's label: the relations after them are read.
	pg(`SELECT 1 FROM audit_logs set, notes`, "audit_logs", "notes"),
	pg(`SELECT 1 FROM audit_logs AS values, notes`, "audit_logs", "notes"),
	pg(`SELECT 1 FROM audit_logs conflict /* c */ , notes`, "audit_logs", "notes"),
	pg(`SELECT 1 FROM audit_logs AS set(a, b), notes`, "audit_logs", "notes"),
	pg(`SELECT 1 FROM (SELECT 1) AS set, notes`, "notes"),
	pg(`SELECT 1 FROM audit_logs set JOIN notes ON true`, "audit_logs", "notes"),
	pg(`SELECT 1 FROM audit_logs revoke, notes`, "audit_logs", "notes"),
	pg(`SELECT body AS grant FROM notes`, "notes"),
	pg(`SELECT body revoke FROM notes`, "notes"),
	pg(`WITH x AS (SELECT 1) SELECT body AS grant FROM notes UNION SELECT 1 FROM audit_logs`, "notes", "audit_logs"),
	pg(`UPDATE audit_logs SET a = 1, b = 2`, "audit_logs"),
	pg(`UPDATE audit_logs SET a = x.b FROM notes x, pins WHERE true`, "audit_logs", "notes", "pins"),
	pg(`SELECT 1 FROM audit_logs FOR UPDATE OF a, b`, "audit_logs"),
	pg(`SELECT 1 FROM audit_logs OFFSET 5`, "audit_logs"),
	pg(`SELECT 1 FROM audit_logs WINDOW w AS (PARTITION BY a, b)`, "audit_logs"),
	pg(`GRANT SELECT ON audit_logs, notes TO bob`, "audit_logs", "notes"),
	lite(`SELECT 1 FROM audit_logs grant, notes`, "audit_logs", "notes"),
	lite(`SELECT 1 FROM audit_logs window, notes`, "audit_logs", "notes"),
	list(`audit_logs set, notes`, "audit_logs", "notes"),

	// SQLite: "expr IN name" reads the table (or a table-valued
	// function); "IN (...)" is a list or a subquery.
	lite(`SELECT count(*) FROM audit_logs WHERE (7, 'x') IN notes`, "audit_logs", "notes"),
	lite(`SELECT count(*) FROM audit_logs WHERE x NOT IN main.notes`, "audit_logs", "main.notes"),
	lite(`DELETE FROM audit_logs WHERE id IN "notes"`, "audit_logs", "notes"),
	lite(`SELECT 1 FROM audit_logs WHERE x IN json_each('[1]')`, "audit_logs", "json_each()"),
	lite(`SELECT 1 FROM audit_logs WHERE x IN (1, 2)`, "audit_logs"),
	lite(`SELECT 1 FROM audit_logs WHERE x IN (SELECT y FROM notes)`, "audit_logs", "notes"),
	lite(`WITH c AS (SELECT 1) SELECT 1 FROM audit_logs WHERE x IN c`, "audit_logs"),
	pg(`SELECT 1 FROM audit_logs WHERE x IN (1, 2)`, "audit_logs"),

	// Anything unknown: no panic, find what can be found.
	pg(`FOO BAR BAZ`),
	pg(`)))`),
	pg(`(((`),
	pg(`FROM`),
	pg(`SELECT * FROM`),
	pg(`SELECT * FROM (`),
	pg(``),
	pg(`WITH`),
	pg(`WITH x AS`),
	pg(`DO`),
	pg(`SELECT * FROM a JOIN`, "a"),
	pg(`SELECT ) FROM notes`, "notes"),
	pg(`CREATE INDEX`),
	pg(`COMMENT ON COLUMN x`),
}

func TestTables(t *testing.T) {
	for _, tt := range tableTests {
		name := tt.sql
		if tt.list {
			name = "FromList/" + name
		}
		if tt.d == SQLite {
			name = "SQLite/" + name
		}
		t.Run(name, func(t *testing.T) {
			got, err := read(tt.sql, tt.d, tt.list)
			if tt.errWhat != "" {
				var e *Error
				if !errors.As(err, &e) || errors.Is(err, ErrUnterminated) != e.unterminated() {
					t.Fatalf("got %v, %v; want *Error %s at %d", got, err, tt.errWhat, tt.errAt)
				}
				if e.What != tt.errWhat || e.Offset != tt.errAt {
					t.Fatalf("got error %q (%s at %d); want %s at %d", err, e.What, e.Offset, tt.errWhat, tt.errAt)
				}
				if got != nil {
					t.Fatalf("got %v with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestTablesAllocs checks what the package documents: a call allocates
// only the slice it returns, and nothing when the text names nothing
// (names here need no folding nor unquoting, which would allocate the
// name).
func TestTablesAllocs(t *testing.T) {
	for _, tt := range []struct {
		sql  string
		list bool
		max  float64
	}{
		{benchLong, false, 1},
		{benchShort, false, 1},
		{`select * from a, b, c, d, e, f, g, h where x in (select 1 from a)`, false, 1},
		{`with c as (select 1 from t) select * from c join u on true; delete from v`, false, 1},
		{`notes as n`, true, 1},
		{`SELECT 1, 'FROM audit_logs', now()`, false, 0},
		{`SELECT count(*) /* FROM t */ -- JOIN u` + "\n", false, 0},
		{`id = $1 AND name IN (?, ?)`, false, 0},
	} {
		var err error
		n := testing.AllocsPerRun(100, func() {
			if tt.list {
				_, err = FromList(tt.sql, Postgres)
			} else {
				_, err = Tables(tt.sql, Postgres)
			}
		})
		if err != nil {
			t.Fatalf("%q: %v", tt.sql, err)
		}
		if n > tt.max {
			t.Errorf("%q: %v allocations per call, want at most %v", tt.sql, n, tt.max)
		}
	}
}

// TestAppendTables: AppendTables and AppendFromList append to dst
// without allocating when it has the room, keep what dst held, and
// return dst unchanged on an error.
func TestAppendTables(t *testing.T) {
	buf := make([]Ref, 1, 8)
	buf[0] = Ref{Name: "kept"}
	var got []Ref
	var err error
	n := testing.AllocsPerRun(100, func() { got, err = AppendTables(buf, benchLong, Postgres) })
	if err != nil || n != 0 {
		t.Fatalf("AppendTables: %v, %v allocations; want none", err, n)
	}
	want := append(refs("kept"), refs("audit_logs", "notes", "users", "tags")...)
	if !reflect.DeepEqual(got, want) || &got[0] != &buf[0] {
		t.Fatalf("AppendTables = %v (in buf: %v), want %v", got, &got[0] == &buf[0], want)
	}
	if got, _ := AppendFromList(buf[:1], "notes AS n, tags", Postgres); !reflect.DeepEqual(got, refs("kept", "notes", "tags")) {
		t.Fatalf("AppendFromList = %v", got)
	}
	small := []Ref{{Name: "kept"}}
	if got, _ := AppendTables(small, benchLong, Postgres); !reflect.DeepEqual(got, want) {
		t.Fatalf("AppendTables into a full slice = %v, want %v", got, want)
	}
	if got, err := AppendTables(buf[:1], "SELECT 'x", Postgres); err == nil || !reflect.DeepEqual(got, refs("kept")) {
		t.Fatalf("AppendTables of unreadable SQL = %v, %v; want dst unchanged and an error", got, err)
	}
}

// read reads sql with FromList when list is set, else with Tables.
func read(sql string, d Dialect, list bool) ([]Ref, error) {
	if list {
		return FromList(sql, d)
	}
	return Tables(sql, d)
}
