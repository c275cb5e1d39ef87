package resolver_test

import (
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
)

// TestIdleTenantMemory keeps a registered, idle tenant under 4 KiB with
// 10,000 tenants registered.
func TestIdleTenantMemory(t *testing.T) {
	per := fixture.IdleTenantBytes(t, 10000)
	t.Logf("%.0f bytes per idle tenant", per)
	if per > 4096 {
		t.Fatalf("%.0f bytes per idle tenant, want at most 4096", per)
	}
}
