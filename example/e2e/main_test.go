package e2e

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(programs.Run(m)) }

// programs are the programs under test: the server and the worker run
// with the race detector when the tests do; tenantctl, a short-lived
// command, never does.
var programs = &testenv.Programs{
	Plain:        []string{"./example/cmd/tenantctl"},
	Race:         []string{"./example/cmd/server", "./example/cmd/worker"},
	RaceDetector: raceEnabled,
	Prefix:       "tenantplugin-example-e2e",
}

// binaries are the programs under test.
type binaries struct{ server, worker, tenantctl string }

// buildBinaries builds the programs once per test binary.
func buildBinaries(tb testing.TB) binaries {
	tb.Helper()
	return binaries{
		server:    programs.Path(tb, "server"),
		worker:    programs.Path(tb, "worker"),
		tenantctl: programs.Path(tb, "tenantctl"),
	}
}
