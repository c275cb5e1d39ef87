package example_test

import (
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/example"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// TestTenantFile: every id gets a file name of its own, a plain one
// without a path separator, and a readable id keeps its name.
func TestTenantFile(t *testing.T) {
	ids := []string{"tenant-1.localhost", "Tenant-1.localhost", "tenant_1.localhost", "a b", "a_b", "a:b", ".hidden", "_hidden",
		"ünïcode", "a..b-never-valid-but-kept-apart", "central", strings.Repeat("x", tenant.MaxIDLen), strings.Repeat("X", tenant.MaxIDLen)}
	seen := map[string]string{}
	for _, id := range ids {
		name := example.TenantFile(id)
		if other, ok := seen[strings.ToLower(name)]; ok {
			t.Errorf("%q and %q share %q", id, other, name)
		}
		seen[strings.ToLower(name)] = id
		if strings.ContainsAny(name, `/\:`) || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".db") || len(name) > 255 {
			t.Errorf("%q: unsafe file name %q", id, name)
		}
	}
	if got := example.TenantFile("tenant-1.localhost"); got != "tenant-1.localhost.db" {
		t.Errorf("TenantFile(tenant-1.localhost) = %q", got)
	}
}
