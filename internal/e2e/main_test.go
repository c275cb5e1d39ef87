package e2e

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(programs.Run(m)) }

// programs are the programs under test: the instances run under the
// race detector when the tests do; tenantctl, a short-lived command
// whose run time the tests measure, never does.
var programs = &testenv.Programs{
	Plain:        []string{"./example/cmd/tenantctl"},
	Race:         []string{"./internal/cmd/instance"},
	RaceDetector: raceEnabled,
	Prefix:       "tenantplugin-e2e-bin",
}

// binaries are the programs under test.
type binaries struct{ instance, tenantctl string }

// buildBinaries builds the programs once per test binary.
func buildBinaries(tb testing.TB) binaries {
	tb.Helper()
	return binaries{instance: programs.Path(tb, "instance"), tenantctl: programs.Path(tb, "tenantctl")}
}
