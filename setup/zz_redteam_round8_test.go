package tenantsetup_test

import (
	"path/filepath"
	"testing"

	tenantsetup "github.com/tenantrouter/tenantplugin/setup"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// R8Plan is a central model with a table name of its own, as models of
// an existing application often have.
type R8Plan struct {
	ID   uint
	Name string
}

func (R8Plan) TableName() string { return "billing_plans" }

// TestRedTeam8ReservedModelNameIgnoresTableName: the README says
// TENANTPLUGIN_RESERVED names what stays on the central database "by
// table or model type name" (default=audit_logs,Plan). A model type name
// is turned into a table by the naming strategy alone
// (R8Plan -> r8_plans), not the model's TableName (billing_plans): the
// model named is not reserved. Open migrates it onto every tenant, and
// its rows are written to the tenant's database.
func TestRedTeam8ReservedModelNameIgnoresTableName(t *testing.T) {
	dir := t.TempDir()
	db := openCentral(t, dir)
	if err := db.AutoMigrate(&R8Plan{}); err != nil { // the central table, before the split
		t.Fatal(err)
	}
	tn, err := tenantsetup.Open(t.Context(), db,
		tenantsetup.WithSettings(tenantsetup.Settings{
			Tenants:  tenantFile(t, dir, "hospital", "tenant-1.localhost"),
			Reserved: map[string][]string{"default": {"R8Plan"}},
		}),
		tenantsetup.Migrate(&Patient{}, &R8Plan{}),
		tenantsetup.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer tn.Close()
	ctx := tenant.NewContext(t.Context(), "tenant-1.localhost")
	if err := db.WithContext(ctx).Create(&R8Plan{Name: "gold"}).Error; err != nil {
		t.Errorf("Create R8Plan: %v", err)
	}
	if got := count(t, filepath.Join(dir, "central.db"), "billing_plans"); got != 1 {
		t.Errorf("central billing_plans has %d rows, want the plan written there", got)
	}
	if got := count(t, filepath.Join(dir, "tenant-1.localhost.db"), "billing_plans"); got != -1 {
		t.Errorf("tenant-1's database has a billing_plans table with %d rows, want none (a reserved model)", got)
	}
}

// TestRedTeam8ReservedEmptyNamePanics: Settings given in code (not read
// from the environment, which drops empty names) with an empty reserved
// name make Open panic (index out of range) instead of returning
// ErrConfig.
func TestRedTeam8ReservedEmptyNamePanics(t *testing.T) {
	dir := t.TempDir()
	db := openCentral(t, dir)
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("Open panicked: %v; want an error wrapping ErrConfig", r)
		}
	}()
	tn, err := tenantsetup.Open(t.Context(), db,
		tenantsetup.WithSettings(tenantsetup.Settings{
			Tenants:  tenantFile(t, dir, "hospital", "tenant-1.localhost"),
			Reserved: map[string][]string{"default": {""}},
		}),
		tenantsetup.WithLogger(quiet))
	if err == nil {
		tn.Close()
		t.Errorf("Open accepted an empty reserved name")
	}
}
