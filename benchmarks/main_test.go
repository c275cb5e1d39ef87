package benchmarks

import (
	"os"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

// TestMain stops the PgBouncer that BenchmarkColdTenantPgBouncer starts.
func TestMain(m *testing.M) { os.Exit(testenv.WithPgBouncer(m).Run()) }
