package migrate_test

import (
	"context"
	"log"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/testenv"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/migrate"
)

// TestFirstRunLogsNoError: migrating databases that have no ledger yet
// prints no error through the application's GORM logger; the ledger
// being missing is the expected answer, not a failure.
func TestFirstRunLogsNoError(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 2})
	var out testenv.Buffer
	db := e.DB.Session(&gorm.Session{Logger: logger.New(log.New(&out, "", 0), logger.Config{LogLevel: logger.Error})})
	if _, err := migrate.AutoMigrate(context.Background(), db, e.Tenants, []any{&Patient{}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), migrate.LedgerTable) {
		t.Fatalf("the first run logged an error about the missing ledger:\n%s", out.String())
	}
}
