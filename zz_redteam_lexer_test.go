package tenantplugin_test

import (
	"strings"
	"testing"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
)

// Red-team findings about how the lexer reads names: a CTE's scope,
// deep nesting and Unicode escapes. Each statement must route by the
// relations PostgreSQL (or SQLite) would read, or be refused before
// anything is sent.

// TestRedteamCTENameHidesRealTable: a CTE's name is taken as "not a
// relation anywhere in the statement". In PostgreSQL (and SQLite) a
// non-recursive CTE's own body, the target of INSERT/UPDATE/DELETE, and
// every scope outside a subquery's WITH see the real table of that name.
// The lexer drops those, so these statements are routed by the reserved
// table alone and run on the central database.
func TestRedteamCTENameHidesRealTable(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		a := e.Tenants[0]
		db := e.DB.WithContext(e.Ctx(a))
		cases := []struct {
			name string
			run  func() error
		}{
			// The INSERT writes the real notes table: a tenant's row is
			// written into the central database.
			{"DML target", func() error {
				return db.Exec(`WITH notes AS (SELECT id FROM audit_logs LIMIT 1) INSERT INTO notes (tenant, body) VALUES ('t00', 'cte-leak')`).Error
			}},
			// The CTE body reads the real notes table in PostgreSQL. (SQLite
			// reads it as a recursive reference to the CTE, which it
			// refuses as circular: no table is read there.)
			{"own body", func() error {
				if b == fixture.SQLite {
					return tenantplugin.ErrCrossDatabase
				}
				var n int64
				return db.Raw(`WITH notes AS (SELECT * FROM notes WHERE tenant = 't00') SELECT count(*) FROM audit_logs, notes`).Scan(&n).Error
			}},
			// A CTE inside a subquery hides the real table in the outer
			// query too.
			{"subquery scope", func() error {
				var n int64
				return db.Raw(`SELECT count(*) FROM audit_logs WHERE id IN (SELECT id FROM notes) AND EXISTS (WITH notes AS (SELECT 1) SELECT 1 FROM notes)`).Scan(&n).Error
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				d, err := sent(e, c.run)
				wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
			})
		}
		if n := centralCount(t, e, `SELECT count(*) FROM notes WHERE body = 'cte-leak'`); n != 0 {
			t.Errorf("the central database holds %d tenant notes written through a CTE", n)
		}
	})
}

// TestRedteamDeepNestingLosesRelations: past 31 nested subqueries the
// parser kept one shared state for every deeper level, and a
// parenthesised FROM item reset it: the relation after it in the same
// FROM list was not found, and the statement, which names notes, ran on
// the central database. Up to 64 levels are now followed; deeper texts
// are refused rather than guessed at, with nothing sent.
func TestRedteamDeepNestingLosesRelations(t *testing.T) {
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 1})
	for _, c := range []struct {
		depth int
		want  error
	}{{40, tenantplugin.ErrCrossDatabase}, {70, tenantplugin.ErrUnreadableSQL}} {
		q := "SELECT count(*) FROM audit_logs WHERE id IN " +
			strings.Repeat("(SELECT id FROM audit_logs WHERE id IN ", c.depth) +
			"(SELECT a.id FROM audit_logs a, (SELECT 1) x, notes)" + strings.Repeat(")", c.depth)
		d, err := sent(e, func() error {
			var n int64
			return e.DB.WithContext(e.Ctx(e.Tenants[0])).Raw(q).Scan(&n).Error
		})
		wantRefused(t, err, d, c.want)
	}
}

// TestRedteamUnicodeEscapedIdentifier: PostgreSQL reads U&"audit\005flogs"
// as the table audit_logs; the lexer keeps the escape as written, so the
// strategies do not recognise the reserved table and the statement goes
// to the tenant. Expected: routed as audit_logs (to the central database).
func TestRedteamUnicodeEscapedIdentifier(t *testing.T) {
	if !hasPostgres(t) {
		return
	}
	e := rtEnv(t, fixture.Postgres, fixture.Options{Tenants: 1})
	d, err := sent(e, func() error {
		var n int64
		return e.DB.WithContext(e.Ctx(e.Tenants[0])).Raw(`SELECT count(*) FROM U&"audit\005flogs"`).Scan(&n).Error
	})
	if err != nil || d[fixture.Central] == 0 || len(d) != 1 {
		t.Errorf("err = %v, sent %v; want it on the central database only", err, d)
	}
}

// hasPostgres reports whether the PostgreSQL part runs (it must under
// scripts/test.sh).
func hasPostgres(t *testing.T) bool {
	t.Helper()
	for _, b := range backends(t) {
		if b == fixture.Postgres {
			return true
		}
	}
	return false
}
