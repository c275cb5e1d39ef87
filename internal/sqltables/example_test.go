package sqltables_test

import (
	"fmt"

	"github.com/tenantrouter/tenantplugin/internal/sqltables"
)

func ExampleTables() {
	refs, err := sqltables.Tables(`/* from audit_logs */
		WITH recent AS (SELECT note_id FROM "Public"."Events" WHERE kind = 'FROM hospitals')
		SELECT n.body AS "from hospitals", EXTRACT(YEAR FROM n.created_at)
		FROM ONLY notes n JOIN recent r ON r.note_id = n.id, generate_series(1, 3) g`, sqltables.Postgres)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range refs {
		fmt.Printf("schema=%q name=%q func=%v\n", r.Schema, r.Name, r.Func)
	}
	// Output:
	// schema="Public" name="Events" func=false
	// schema="" name="notes" func=false
	// schema="" name="generate_series" func=true
}

func ExampleFromList() {
	for _, expr := range []string{"audit_logs AS a", "public.notes n", "(SELECT id FROM audit_logs) AS s", "(?) AS s"} {
		refs, err := sqltables.FromList(expr, sqltables.Postgres)
		fmt.Println(expr, "->", refs, err)
	}
	// Output:
	// audit_logs AS a -> [{ audit_logs false}] <nil>
	// public.notes n -> [{public notes false}] <nil>
	// (SELECT id FROM audit_logs) AS s -> [{ audit_logs false}] <nil>
	// (?) AS s -> [] <nil>
}

func ExampleError() {
	_, err := sqltables.Tables(`SELECT * FROM notes WHERE body = 'it''s`, sqltables.Postgres)
	fmt.Println(err)
	// Output:
	// sqltables: unterminated string literal at byte 33
}
