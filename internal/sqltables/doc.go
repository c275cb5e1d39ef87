// Package sqltables finds every relation a SQL text names, so that raw
// SQL can be routed by the tables it touches.
//
// # Usage
//
//	refs, err := sqltables.Tables(`SELECT n.body FROM notes n JOIN audit_logs a ON a.note_id = n.id`, sqltables.Postgres)
//	// refs: notes, audit_logs
//	refs, err = sqltables.FromList(`notes AS n`, sqltables.Postgres) // GORM's Table("notes AS n")
//
// Tables reads whole statements (several, separated by ';') and
// fragments: a WHERE condition, a JOIN clause. FromList reads what GORM's
// Table() takes: a FROM list. Both return each relation once, in order of
// first appearance, qualified as written (Schema "" when unqualified),
// unquoted names folded to lower case and quoted ones kept as written.
//
// # What it finds
//
// A real lexer (comments, PostgreSQL's nested block comments, string
// literals in every form, E'...' escape strings, literals in several
// parts, dollar quotes, quoted identifiers, SQLite's `ident` and
// [ident], parameters) feeds a small finder that
// knows where a relation may stand: FROM lists and every JOIN, with
// ONLY, ONLY (name), LATERAL and parenthesised joins and subqueries;
// INSERT, MERGE, REPLACE and SELECT ... INTO targets; UPDATE (not FOR
// UPDATE, DO UPDATE, ON DUPLICATE KEY UPDATE); DELETE ... USING and
// MERGE ... USING; TRUNCATE, LOCK; the TABLE command wherever a query
// may stand (INSERT INTO t TABLE u, EXPLAIN TABLE u, DECLARE c CURSOR
// FOR TABLE u, (TABLE u), UNION TABLE u, AS TABLE u ...: TABLE names a
// relation everywhere but in RETURNS TABLE (...) and a trigger's
// REFERENCING ... TABLE); CREATE, ALTER and DROP of tables and views,
// CREATE INDEX ... ON, REFERENCES, LIKE, INHERITS, PARTITION OF; COMMENT
// ON TABLE and COLUMN; GRANT and REVOKE ... ON; COPY; VACUUM, ANALYZE,
// CLUSTER, REINDEX TABLE, REFRESH MATERIALIZED VIEW; triggers, rules and
// policies ON a table. Functions in FROM positions (generate_series(...),
// unnest(...), pragma_table_info(?), ROWS FROM (...)) are returned with
// Func set. A CTE's name is no relation where the CTE is in scope: after
// its body in its WITH's statement and the subqueries in it (in its own
// body too under WITH RECURSIVE, and always in SQLite), never as the
// target of INSERT, UPDATE, DELETE or MERGE, and not outside a subquery
// that declares it. Neither are aliases, column names, placeholders, or what strings,
// comments and quoted identifiers hold. The FROM of EXTRACT, substring,
// trim, overlay and IS DISTINCT FROM, and the FROM of FETCH, MOVE, COPY
// and REVOKE, is no FROM clause. The body of a DO block runs at once: it
// is read as SQL too, where an extra relation may be found but none is
// missed, in any string form PostgreSQL takes: '...', $$...$$, E'...'
// with its backslash escapes decoded, U&'...' [UESCAPE 'c'] with its
// Unicode escapes decoded, each in several parts ('a'<newline>'b').
//
// # What it cannot see
//
// Relations a statement touches without naming them: those read or
// written by functions and procedures it calls, by triggers and rules,
// by EXECUTE of dynamic SQL (in a DO body or elsewhere), and those behind
// a view (the view is found, not its definition). Function bodies
// (CREATE FUNCTION ... AS $$...$$) run later and are not read. A name is
// resolved by no search_path: Schema is what the text says. Names are
// what PostgreSQL reads: U&"..." escapes decoded (with UESCAPE), longer
// names cut to 63 bytes.
//
// # Errors
//
// SQL that cannot be read returns a *Error and no relation: an
// unterminated comment, string literal, quoted identifier or
// dollar-quoted string (errors.Is(err, ErrUnterminated)); parentheses
// nested more than 64 deep with more than literals and names inside;
// DO blocks nested in each other's bodies more than 8 deep; a U&"..."
// name with an escape PostgreSQL refuses; a DO body given as E'...' or
// U&'...' with an escape PostgreSQL refuses, or with \v, which the
// finder does not decode. (An error in a DO body that had to be decoded
// is reported at the start of its string.) The finder refuses these
// rather than guess. Anything else it does not know is read on: it
// never panics and always ends, in time linear in the text.
//
// # Concurrency
//
// The functions keep no state between calls and are safe for concurrent
// use. A call allocates only the slice it returns (none when nothing is
// found), a string for a name it must fold or unquote, and the text of a
// DO body it must decode (with escapes or in parts) and what that body
// names.
package sqltables
