package tenantplugin_test

import (
	"bytes"
	"context"
	"log"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

type LogPatient struct {
	ID     uint
	Name   string
	Visits []LogVisit
}

type LogVisit struct {
	ID           uint
	LogPatientID uint
	Note         string
}

// TestLogNamesTheCaller: GORM's logger names the application's line of
// each statement (the first caller outside GORM), with the plugin as
// without it, also for the statements an association saves inside a
// Create, which run under the plugin's wrapper of GORM's write steps.
func TestLogNamesTheCaller(t *testing.T) {
	for _, plugin := range []bool{false, true} {
		var buf bytes.Buffer
		dir := t.TempDir()
		lg := logger.New(log.New(&buf, "", 0), logger.Config{LogLevel: logger.Info})
		db, err := gorm.Open(sqlite.Open(filepath.Join(dir, "central.db")), &gorm.Config{Logger: lg})
		if err != nil {
			t.Fatal(err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sqlDB.Close() })
		if plugin {
			res, err := resolver.New(resolver.Config{
				Template: resolver.Template{Driver: sqlitedriver.DriverName},
				Drivers:  []dbdriver.Driver{sqlitedriver.New()},
				Logger:   fixture.Quiet(),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = res.Close() })
			if err := res.Set(t.Context(), "t1", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, "t1.db")}}); err != nil {
				t.Fatal(err)
			}
			if err := db.Use(tenantplugin.New(tenantplugin.Config{Resolver: res, Logger: fixture.Quiet()})); err != nil {
				t.Fatal(err)
			}
			db = db.WithContext(tenant.NewContext(context.Background(), "t1"))
		}
		if err := db.AutoMigrate(&LogPatient{}, &LogVisit{}); err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		if err := db.Create(&LogPatient{Name: "Ada", Visits: []LogVisit{{Note: "x"}}}).Error; err != nil {
			t.Fatal(err)
		}
		var callers int
		for line := range strings.Lines(buf.String()) {
			if !strings.Contains(line, ".go:") {
				continue // a line of SQL
			}
			callers++
			if !strings.Contains(line, "logcaller_test.go:") {
				t.Errorf("plugin %v: a statement is logged as called from %q, want this file", plugin, strings.TrimSpace(line))
			}
		}
		if callers != 2 { // the visit's INSERT, then the patient's
			t.Errorf("plugin %v: %d statements logged, want 2:\n%s", plugin, callers, buf.String())
		}
	}
}
