package example_test

import (
	"os"
	"slices"
	"testing"

	"github.com/tenantrouter/tenantplugin/example"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantfile"
)

// TestTenantConfig: the embedded file is tenant_config.json as it is on
// disk, it parses, and a caller's change to its copy changes nothing.
func TestTenantConfig(t *testing.T) {
	disk, err := os.ReadFile(tenantfile.FileName)
	if err != nil {
		t.Fatal(err)
	}
	got := example.TenantConfig()
	if !slices.Equal(got, disk) {
		t.Fatal("TenantConfig differs from tenant_config.json")
	}
	f, err := tenantfile.Parse(got, tenantfile.WithService("hospital"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Service("hospital")); n != 2 {
		t.Fatalf("%d tenants for hospital, want 2", n)
	}
	got[0] = 'x'
	if example.TenantConfig()[0] == 'x' {
		t.Fatal("TenantConfig returned the embedded bytes themselves")
	}
}
