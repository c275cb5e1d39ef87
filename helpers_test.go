package tenantplugin_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenanttest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(testenv.WithPgBouncer(tenanttest.ShareTemplates(m)), goleakOptions()...)
}

func goleakOptions() []goleak.Option {
	return []goleak.Option{
		// GORM's own statement cache (used by sessions with PrepareStmt,
		// never by the plugin) starts a cleanup goroutine it never stops.
		goleak.IgnoreAnyFunction("gorm.io/gorm/internal/lru.NewLRU[...].func1"),
	}
}

// Note is a tenant model; Tenant records which tenant wrote the row.
type Note struct {
	ID     uint
	Tenant string `gorm:"index"`
	Body   string
	Tags   []Tag
}

// Tag belongs to a Note.
type Tag struct {
	ID     uint
	NoteID uint
	Tenant string
	Name   string
}

// Plan is a central model, shared by all tenants.
type Plan struct {
	ID   uint
	Name string
}

// backends returns the backends to test: SQLite always, PostgreSQL when
// the test server is there (and it must be under scripts/test.sh).
func backends(t *testing.T) []fixture.Backend {
	t.Helper()
	bs := []fixture.Backend{fixture.SQLite}
	if os.Getenv(testenv.EnvPG) != "" || testenv.Required() {
		bs = append(bs, fixture.Postgres)
	} else {
		t.Logf("PostgreSQL part skipped: %s not set (scripts/test.sh sets it)", testenv.EnvPG)
	}
	return bs
}

func eachBackend(t *testing.T, f func(t *testing.T, b fixture.Backend)) {
	for _, b := range backends(t) {
		t.Run(string(b), func(t *testing.T) { f(t, b) })
	}
}

// testServer returns the tenanttest option for backend b.
func testServer(t *testing.T, b fixture.Backend) tenanttest.Option {
	t.Helper()
	if b == fixture.Postgres {
		return tenanttest.Postgres(testenv.PostgresURL(t))
	}
	return tenanttest.SQLite()
}
