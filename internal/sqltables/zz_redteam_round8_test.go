package sqltables

import (
	"slices"
	"testing"
)

// TestRedTeam8TableCommandAfterInsertTarget: PostgreSQL's TABLE u is
// SELECT * FROM u, and INSERT takes any query after its target (and its
// alias, OVERRIDING ... VALUE), EXPLAIN and DECLARE ... FOR too. The
// lexer takes TABLE for a relation only after a few tokens, so the
// relation read by these statements is not reported.
func TestRedTeam8TableCommandAfterInsertTarget(t *testing.T) {
	for _, q := range []string{
		`INSERT INTO archive TABLE notes`,
		`INSERT INTO archive AS a TABLE notes`,
		`INSERT INTO archive OVERRIDING SYSTEM VALUE TABLE notes`,
		`INSERT INTO archive TABLE ONLY public.notes RETURNING *`,
		`WITH x AS (SELECT 1) INSERT INTO archive TABLE notes`,
		`EXPLAIN ANALYZE INSERT INTO archive TABLE notes`,
		`EXPLAIN ANALYZE TABLE notes`,
		`DECLARE c CURSOR FOR TABLE notes`,
		`DO $$ BEGIN INSERT INTO archive TABLE notes; END $$`,
	} {
		refs, err := Tables(q, Postgres)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if !slices.ContainsFunc(refs, func(r Ref) bool { return r.Name == "notes" }) {
			t.Errorf("%s: relations %v, want notes among them", q, refs)
		}
	}
}

// TestRedTeam8EscapeStringDOBody: the README says the bodies of DO
// blocks are read. PostgreSQL takes a DO body in any string form; the
// lexer reads it in '...' and $$...$$ only: in E'...' (and U&'...') it
// names nothing, so whatever the block reads or writes is not seen.
func TestRedTeam8EscapeStringDOBody(t *testing.T) {
	for _, q := range []string{
		`DO E'BEGIN INSERT INTO archive SELECT * FROM notes; END'`,
		`DO LANGUAGE plpgsql E'BEGIN PERFORM 1 FROM notes; END'`,
		`DO U&'BEGIN PERFORM 1 FROM notes; END'`,
		`SELECT 1 FROM archive LIMIT 0; DO E'BEGIN INSERT INTO archive SELECT * FROM notes; END'`,
	} {
		refs, err := Tables(q, Postgres)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if !slices.ContainsFunc(refs, func(r Ref) bool { return r.Name == "notes" }) {
			t.Errorf("%s: relations %v, want notes among them", q, refs)
		}
	}
}
