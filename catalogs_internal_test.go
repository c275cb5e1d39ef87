package tenantplugin

import (
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/sqltables"
)

func TestIsCatalog(t *testing.T) {
	pg, lite := sqltables.Postgres, sqltables.SQLite
	for _, tc := range []struct {
		ref  sqltables.Ref
		d    sqltables.Dialect
		want bool
	}{
		{sqltables.Ref{Name: "pg_class"}, pg, true},
		{sqltables.Ref{Name: "pg_wait_events"}, pg, true},
		{sqltables.Ref{Schema: "pg_catalog", Name: "pg_class"}, pg, true},
		{sqltables.Ref{Schema: "information_schema", Name: "tables"}, pg, true},
		{sqltables.Ref{Schema: "pg_catalog", Name: "pg_statistic"}, pg, false},
		{sqltables.Ref{Name: "pg_stats"}, pg, false},
		{sqltables.Ref{Name: "pg_largeobject"}, pg, false},
		{sqltables.Ref{Name: "pg_payments"}, pg, false},
		{sqltables.Ref{Name: "notes"}, pg, false},
		{sqltables.Ref{Schema: "public", Name: "pg_class"}, pg, false},
		{sqltables.Ref{Name: "sqlite_master"}, pg, false},
		{sqltables.Ref{Name: "generate_series", Func: true}, pg, false},
		{sqltables.Ref{Name: "sqlite_master"}, lite, true},
		{sqltables.Ref{Name: "sqlite_schema"}, lite, true},
		{sqltables.Ref{Name: "sqlite_stat1"}, lite, false},
		{sqltables.Ref{Name: "sqlite_dbpage"}, lite, false},
		{sqltables.Ref{Name: "pragma_table_info", Func: true}, lite, true},
		{sqltables.Ref{Name: "pragma_table_info"}, lite, false},
		{sqltables.Ref{Name: "pg_class"}, lite, false},
		{sqltables.Ref{Name: "notes"}, lite, false},
	} {
		if got := isCatalog(tc.ref, tc.d); got != tc.want {
			t.Errorf("isCatalog(%+v, %d) = %v, want %v", tc.ref, tc.d, got, tc.want)
		}
	}
}

func BenchmarkIsCatalog(b *testing.B) {
	refs := []sqltables.Ref{{Name: "notes"}, {Name: "tags"}, {Name: "pins"}, {Schema: "public", Name: "audit_logs"}}
	for b.Loop() {
		for _, r := range refs {
			if isCatalog(r, sqltables.Postgres) {
				b.Fatal(r)
			}
		}
	}
}
