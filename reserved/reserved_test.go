package reserved_test

import (
	"context"
	"testing"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/reserved"
)

type Plan struct{ ID uint }

type Custom struct{ ID uint }

func (Custom) TableName() string { return "my_custom" }

// Ledger's table names a schema, as an application's shared tables may.
type Ledger struct{ ID uint }

func (Ledger) TableName() string { return "billing.ledgers" }

// Course and Teacher are central models in a many-to-many association;
// Student is not reserved.
type (
	Course struct {
		ID       uint
		Teachers []Teacher `gorm:"many2many:course_teachers"`
		Students []Student `gorm:"many2many:course_students"`
	}
	Teacher struct{ ID uint }
	Student struct{ ID uint }
)

func TestStrategies(t *testing.T) {
	ctx := context.Background()
	central := tenantplugin.ReservedRoute("central")
	tests := []struct {
		name     string
		strategy tenantplugin.Strategy
		stmt     tenantplugin.Statement
		want     tenantplugin.Route
		decided  bool
	}{
		{"model by type", reserved.Models("central", &Plan{}), tenantplugin.Statement{Context: ctx, Model: &Plan{}}, central, true},
		{"model slice", reserved.Models("central", Plan{}), tenantplugin.Statement{Context: ctx, Model: &[]*Plan{}}, central, true},
		{"model by table", reserved.Models("central", &Plan{}), tenantplugin.Statement{Context: ctx, Table: "plans"}, central, true},
		{"TableName method", reserved.Models("central", &Custom{}), tenantplugin.Statement{Context: ctx, Table: "my_custom"}, central, true},
		{"other model", reserved.Models("central", &Plan{}), tenantplugin.Statement{Context: ctx, Model: &Custom{}, Table: "my_custom"}, tenantplugin.TenantRoute(), false},
		{"table case", reserved.Tables("central", "Audit"), tenantplugin.Statement{Context: ctx, Table: "audit"}, central, true},
		{"schema-qualified", reserved.Tables("central", "audit"), tenantplugin.Statement{Context: ctx, Table: "public.audit"}, central, true},
		{"no table", reserved.Tables("central", "audit"), tenantplugin.Statement{Context: ctx}, tenantplugin.TenantRoute(), false},
		{"always", reserved.Always("central"), tenantplugin.Statement{Context: ctx}, central, true},
		{"qualified reserved table, qualified", reserved.Tables("central", "billing.ledgers"), tenantplugin.Statement{Context: ctx, Table: "billing.ledgers"}, central, true},
		{"qualified reserved table, bare", reserved.Tables("central", "billing.ledgers"), tenantplugin.Statement{Context: ctx, Table: "ledgers"}, central, true},
		{"qualified TableName", reserved.Models("central", &Ledger{}), tenantplugin.Statement{Context: ctx, Table: "billing.ledgers"}, central, true},
		{"qualified TableName, other schema", reserved.Models("central", &Ledger{}), tenantplugin.Statement{Context: ctx, Table: "public.ledgers"}, central, true},
		{"join table of two reserved models", reserved.Models("central", &Course{}, &Teacher{}), tenantplugin.Statement{Context: ctx, Table: "course_teachers"}, central, true},
		{"join table towards a model not reserved", reserved.Models("central", &Course{}, &Teacher{}), tenantplugin.Statement{Context: ctx, Table: "course_students"}, tenantplugin.TenantRoute(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, decided := tt.strategy.Route(tt.stmt)
			if got != tt.want || decided != tt.decided {
				t.Fatalf("Route = %v, %v; want %v, %v", got, decided, tt.want, tt.decided)
			}
		})
	}
}

func TestModelsPanicsOnNil(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	reserved.Models("central", nil)
}
