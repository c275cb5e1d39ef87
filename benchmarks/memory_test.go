package benchmarks

import (
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
)

// BenchmarkIdleTenantMemory reports the heap kept per registered, idle
// tenant, with 10,000 tenants registered (PostgreSQL configs merged over
// a template, pools never opened).
func BenchmarkIdleTenantMemory(b *testing.B) {
	var per float64
	for b.Loop() {
		per = fixture.IdleTenantBytes(b, 10000)
	}
	b.ReportMetric(per, "B/tenant")
}
