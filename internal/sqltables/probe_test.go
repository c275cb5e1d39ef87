package sqltables

import (
	"fmt"
	"testing"
)

func TestProbe(t *testing.T) {
	for _, q := range []struct {
		d Dialect
		s string
	}{
		{0, `SELECT * FROM t1 t JOIN t2 ON t.id = t2.id WHERE t.x IN (SELECT y FROM t3) ORDER BY 1`},
		{0, `INSERT INTO t VALUES (1), (2) RETURNING *`},
		{0, `UPDATE t SET a = (SELECT max(b) FROM u) WHERE c IN (SELECT d FROM v)`},
		{0, "SELECT * FROM t WHERE a = 'x' -- it's\nAND b IN (SELECT 1 FROM u)"},
		{0, `SELECT * FROM t1 NATURAL FULL OUTER JOIN t2`},
		{0, `SELECT * FROM (t1 CROSS JOIN t2) AS j (a, b)`},
		{0, `SELECT (a).b, (t.c).d FROM t`},
		{0, `SELECT t.* FROM ONLY public.t`},
		{0, `SELECT * FROM t1 WHERE a IN (SELECT * FROM t2 UNION SELECT * FROM t3)`},
		{0, `WITH x AS (SELECT * FROM a), y AS (SELECT * FROM x JOIN b ON true) UPDATE c SET d = 1 FROM y WHERE c.id = y.id`},
		{0, `SELECT * FROM json_to_recordset($1) AS x(a int, b text)`},
		{0, `SELECT * FROM t TABLESAMPLE BERNOULLI (10)`},
		{0, `SELECT * FROM t1 LEFT JOIN LATERAL generate_series(1, t1.n) g ON true`},
		{0, `SELECT * FROM XMLTABLE('/a' PASSING x COLUMNS id int PATH '@id')`},
		{1, `INSERT INTO t (a) VALUES (1) ON CONFLICT(a) DO UPDATE SET b = excluded.b WHERE true`},
		{1, `CREATE INDEX IF NOT EXISTS idx ON t (a)`},
		{1, `DROP TABLE IF EXISTS t`},
		{1, `ALTER TABLE t RENAME TO u`},
		{1, `ALTER TABLE t ADD COLUMN c text REFERENCES p(id)`},
		{0, `SELECT * FROM "weird""name"`},
		{0, `select * from public."Notes"`},
		{0, `SELECT * FROM a.b.c.d`},
		{0, `SELECT a FROM t UNION SELECT b FROM u EXCEPT SELECT c FROM v INTERSECT SELECT d FROM w`},
		{0, `VALUES (1, 'a'), (2, 'b')`},
		{0, `SELECT * FROM t WHERE EXISTS (SELECT FROM u)`},
		{0, `SELECT DISTINCT ON (a) a, b FROM t`},
		{0, `CREATE TABLE IF NOT EXISTS t (LIKE u)`},
		{0, `TRUNCATE t1, t2 CASCADE; VACUUM ANALYZE t1`},
		{0, `ALTER TABLE t DETACH PARTITION p CONCURRENTLY`},
		{0, `CREATE TEMP TABLE t ON COMMIT DROP AS SELECT * FROM u`},
		{0, `COPY t (a, b) FROM STDIN WITH (FORMAT csv, HEADER true)`},
		{0, `EXPLAIN (FORMAT JSON) SELECT * FROM t`},
		{0, `INSERT INTO t (a) SELECT a FROM u ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING`},
		{0, `SELECT * FROM t, LATERAL unnest(t.a) AS u(x)`},
		{0, `SELECT * FROM ROWS FROM (jsonb_each(a), generate_series(1,2)) WITH ORDINALITY AS r`},
		{0, `SELECT a, sum(b) OVER w FROM t WINDOW w AS (PARTITION BY c)`},
		{0, `LOCK TABLE t IN ROW EXCLUSIVE MODE NOWAIT`},
		{0, `CREATE UNIQUE INDEX idx ON t USING btree (a) INCLUDE (b) WITH (fillfactor = 70) TABLESPACE ts WHERE c`},
		{0, `CREATE OR REPLACE FUNCTION f() RETURNS trigger AS $$ BEGIN INSERT INTO audit VALUES (NEW.*); RETURN NEW; END $$ LANGUAGE plpgsql`},
		{0, `SELECT 'a' 'b' FROM t`},
		{0, `SELECT * FROM data, names, key, view, index, language, rule, policy, trigger, copy, lock, comment, schema, type, function, replace, temp, local, global, rows, events`},
		{0, `INSERT INTO comments (a) VALUES (1)`},
		{0, `UPDATE types SET a = 1`},
		{0, `DELETE FROM events`},
		{0, `TRUNCATE data, view`},
		{0, `SELECT * FROM t WHERE a = $1; SELECT * FROM u WHERE b = $2`},
		{0, `SELECT * FROM t AS x(a) JOIN u AS y ON x.a = y.b`},
		{0, `SELECT 1 FROM t WHERE x = 1 FOR UPDATE; UPDATE u SET a = 1`},
		{0, `CREATE VIEW v AS SELECT * FROM t UNION ALL SELECT * FROM u`},
		{0, `SELECT * FROM t ORDER BY a USING <`},
		{0, `WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SEARCH DEPTH FIRST BY n SET ord SELECT * FROM r, t`},
		{0, `WITH x AS (SELECT 1) SELECT * FROM x CYCLE`},
		{0, `SELECT * FROM t WHERE a = E'\\' AND b = 'c\' FROM u`},
		{0, `INSERT INTO t SELECT * FROM u WHERE a = (SELECT 1 FROM v) RETURNING (SELECT 2 FROM w)`},
		{0, `SELECT * FROM t FETCH FIRST 1 ROW ONLY; FETCH 1 FROM c; SELECT * FROM u`},
		{0, `SELECT * FROM t1 JOIN t2 ON (t1.a = t2.a) , t3`},
		{0, `DELETE FROM t USING u WHERE t.a = u.a RETURNING t.*`},
		{0, `UPDATE t SET (a, b) = (SELECT c, d FROM u WHERE u.id = t.id)`},
		{0, `SELECT * FROM t WHERE a IN (VALUES (1), (2))`},
		{0, `SELECT CAST(a AS text), b::text[] FROM t`},
		{0, `SELECT * FROM t JOIN u ON t.a = u.a AND t.b IN (SELECT b FROM v) , w`},
		{0, `CREATE INDEX CONCURRENTLY ON public.t (a)`},
		{0, `DROP INDEX CONCURRENTLY IF EXISTS idx`},
		{0, `CREATE TABLE t PARTITION OF p DEFAULT`},
		{0, `CREATE TABLE t (a int) PARTITION BY RANGE (a)`},
		{0, `ALTER TABLE ONLY t ALTER COLUMN a SET DEFAULT nextval('seq')`},
		{0, `SELECT nextval('audit_logs_id_seq')`},
		{0, `MERGE INTO t USING u ON t.a = u.a WHEN MATCHED AND u.b > 0 THEN UPDATE SET c = u.c WHEN NOT MATCHED BY SOURCE THEN DELETE`},
	} {
		r, err := Tables(q.s, q.d)
		fmt.Printf("%-100.100s -> %v %v\n", q.s, r, err)
	}
}
