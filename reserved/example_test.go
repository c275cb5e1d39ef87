package reserved_test

import (
	"context"
	"fmt"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/reserved"
)

type Hospital struct{ ID uint }
type Patient struct{ ID uint }

// ExampleModels shows how a strategy answers for a central model, a
// table named in raw SQL, and a tenant model it leaves undecided.
func ExampleModels() {
	s := tenantplugin.Strategies{
		reserved.Models("central", &Hospital{}),
		reserved.Tables("central", "audit_log"),
	}
	ctx := context.Background()
	for _, st := range []tenantplugin.Statement{
		{Context: ctx, Op: tenantplugin.OpQuery, Model: &[]Hospital{}},
		{Context: ctx, Op: tenantplugin.OpRaw, Table: "audit_log"},
		{Context: ctx, Op: tenantplugin.OpCreate, Model: &Patient{}, Table: "patients"},
	} {
		r, decided := s.Route(st)
		fmt.Println(r, decided)
	}
	// Output:
	// reserved:central true
	// reserved:central true
	// tenant false
}
