package sqltables

import "testing"

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
