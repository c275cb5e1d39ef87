package tenantchi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestWarnsWhenNoGORMUsesTheResolver: an application that forgot
// db.Use(tenantplugin.New(...)) sends every statement to its central
// database; the middleware says so once, at the first tenant request,
// and says nothing when the plugin is installed.
func TestWarnsWhenNoGORMUsesTheResolver(t *testing.T) {
	for _, install := range []bool{false, true} {
		dir := t.TempDir()
		res, err := resolver.New(resolver.Config{
			Template: resolver.Template{Driver: sqlitedriver.DriverName, DSN: "x.db"},
			Drivers:  []dbdriver.Driver{sqlitedriver.New()},
			Logger:   fixture.Quiet(),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = res.Close() })
		if err := res.Set(context.Background(), "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, "acme.db")}}); err != nil {
			t.Fatal(err)
		}
		if install {
			db, err := gorm.Open(sqlite.Open(filepath.Join(dir, "central.db")), &gorm.Config{})
			if err != nil {
				t.Fatal(err)
			}
			sqlDB, err := db.DB()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = sqlDB.Close() })
			p := tenantplugin.New(tenantplugin.Config{Resolver: res})
			if err := db.Use(p); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.Close() })
		}
		var logged bytes.Buffer
		old := slog.Default()
		slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
		h := mustMiddleware(t, res)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		for range 3 {
			req := httptest.NewRequest(http.MethodGet, "http://acme/", nil)
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
		slog.SetDefault(old)
		n := strings.Count(logged.String(), "no *gorm.DB uses the resolver")
		if want := map[bool]int{false: 1, true: 0}[install]; n != want {
			t.Errorf("plugin installed %v: %d warnings, want %d:\n%s", install, n, want, logged.String())
		}
	}
}
