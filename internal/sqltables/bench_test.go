package sqltables

import (
	"fmt"
	"testing"
)

// benchLong is a realistic PostgreSQL query of about 300 characters: a
// CTE, joins, a subquery, a string literal and a comment.
const benchLong = `WITH recent AS (SELECT note_id, max(at) AS at FROM audit_logs WHERE action = 'update' GROUP BY note_id) ` +
	`/* newest first */ SELECT n.id, n.body, u.name, r.at FROM notes n JOIN users u ON u.id = n.user_id ` +
	`LEFT JOIN recent r ON r.note_id = n.id WHERE n.id IN (SELECT note_id FROM tags WHERE tag = $1) ORDER BY r.at DESC`

const benchShort = `SELECT * FROM notes WHERE id = $1`

// benchRaw is the text of the raw-SQL routing benchmark
// (benchmarks/rawsql_test.go, rawQuery): %08d makes each text distinct.
const benchRaw = `/* dashboard %08d */ WITH recent AS (SELECT n.id, n.body FROM notes n ` +
	`WHERE n.created_at > now() - interval '7 days') SELECT r.id, t.name, count(*) AS "n" ` +
	`FROM recent r JOIN tags t ON t.note_id = r.id LEFT JOIN pins p ON p.note_id = r.id ` +
	`WHERE t.name <> 'FROM audit_logs' AND p.id IS NULL GROUP BY 1, 2`

// BenchmarkTables reports, besides ns/op, the CPU time per call
// (cpu-ns/op): on a shared machine the wall time also counts the time
// other processes held the CPU.
func BenchmarkTables(b *testing.B) {
	// Many distinct texts of benchRaw, read in turn, so that no text is
	// in the CPU's caches because it was just read.
	raw := make([]string, 50000)
	for i := range raw {
		raw[i] = fmt.Sprintf(benchRaw, i)
	}
	for _, bc := range []struct {
		name string
		sql  []string
	}{
		{"long", []string{benchLong}},
		{"short", []string{benchShort}},
		{"none", []string{`SELECT 1, 'FROM audit_logs', now()`}},
		{"raw", raw},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.sql[0])))
			b.ReportAllocs()
			i := 0
			cpu0, ok := cpuTime()
			for b.Loop() {
				if _, err := Tables(bc.sql[i], Postgres); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(bc.sql) {
					i = 0
				}
			}
			if cpu1, _ := cpuTime(); ok {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
