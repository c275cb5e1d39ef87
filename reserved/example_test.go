package reserved_test

import (
	"context"
	"fmt"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/reserved"
)

type Hospital struct{ ID uint }
type Patient struct{ ID uint }

// ExampleModels shows how the strategy answers for a central model, for
// its table named in raw SQL, and for a tenant model it leaves
// undecided.
func ExampleModels() {
	central := reserved.Models("central", &Hospital{})
	ctx := context.Background()
	for _, st := range []tenantplugin.Statement{
		{Context: ctx, Op: tenantplugin.OpQuery, Model: &[]Hospital{}},
		{Context: ctx, Op: tenantplugin.OpRaw, Table: "hospitals"},
		{Context: ctx, Op: tenantplugin.OpCreate, Model: &Patient{}, Table: "patients"},
	} {
		r, decided := central.Route(st)
		fmt.Println(r, decided)
	}
	// Output:
	// reserved:central true
	// reserved:central true
	// tenant false
}

// ExampleTables shows the strategy deciding by table name alone, as it
// does for tables named in raw SQL.
func ExampleTables() {
	audit := reserved.Tables("central", "audit_log")
	ctx := context.Background()
	for _, table := range []string{"audit_log", "public.audit_log", "patients"} {
		r, decided := audit.Route(tenantplugin.Statement{Context: ctx, Op: tenantplugin.OpRaw, Table: table})
		fmt.Println(table, r, decided)
	}
	// Output:
	// audit_log reserved:central true
	// public.audit_log reserved:central true
	// patients tenant false
}
