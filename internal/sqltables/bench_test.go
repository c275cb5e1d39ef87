package sqltables

import "testing"

// benchLong is a realistic PostgreSQL query of about 300 characters: a
// CTE, joins, a subquery, a string literal and a comment.
const benchLong = `WITH recent AS (SELECT note_id, max(at) AS at FROM audit_logs WHERE action = 'update' GROUP BY note_id) ` +
	`/* newest first */ SELECT n.id, n.body, u.name, r.at FROM notes n JOIN users u ON u.id = n.user_id ` +
	`LEFT JOIN recent r ON r.note_id = n.id WHERE n.id IN (SELECT note_id FROM tags WHERE tag = $1) ORDER BY r.at DESC`

const benchShort = `SELECT * FROM notes WHERE id = $1`

// BenchmarkTables reports, besides ns/op, the CPU time per call
// (cpu-ns/op): on a shared machine the wall time also counts the time
// other processes held the CPU.
func BenchmarkTables(b *testing.B) {
	for _, bc := range []struct{ name, sql string }{
		{"long", benchLong},
		{"short", benchShort},
		{"none", `SELECT 1, 'FROM audit_logs', now()`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.sql)))
			b.ReportAllocs()
			cpu0, ok := cpuTime()
			for b.Loop() {
				if _, err := Tables(bc.sql, Postgres); err != nil {
					b.Fatal(err)
				}
			}
			if cpu1, _ := cpuTime(); ok {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
