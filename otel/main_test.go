package tenantotel_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// GORM's own statement cache (made for sessions with PrepareStmt,
		// never used by the plugin) starts a cleanup goroutine it never
		// stops.
		goleak.IgnoreAnyFunction("gorm.io/gorm/internal/lru.NewLRU[...].func1"))
}
