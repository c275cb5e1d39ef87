package tenantsetup_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/glebarez/sqlite"
	"github.com/go-chi/chi/v5"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantsetup "github.com/tenantrouter/tenantplugin/setup"
)

// ExampleOpen makes a chi + GORM application multi-tenant. The settings
// come from the environment in an application
// (TENANTPLUGIN_TENANTS=redis://127.0.0.1:6379/0, TENANTPLUGIN_SERVICE,
// TENANTPLUGIN_RESERVED); here they are given, with one tenant on the
// application's own database.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "tenantsetup-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, _ := gorm.Open(sqlite.Open(filepath.Join(dir, "app.db")), &gorm.Config{Logger: logger.Discard})
	sqlDB, _ := db.DB()
	defer sqlDB.Close()

	tn, err := tenantsetup.Open(ctx, db,
		tenantsetup.WithSettings(tenantsetup.Settings{Tenants: "single:example.com"}),
		tenantsetup.Migrate(&Patient{}),
		tenantsetup.WithLogger(quiet))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tn.Close()

	r := chi.NewRouter()
	r.Use(tn.Middleware)
	r.Get("/patients", func(w http.ResponseWriter, req *http.Request) {
		var n int64
		if err := db.WithContext(req.Context()).Model(&Patient{}).Count(&n).Error; err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%d patients", n)
	})
	for _, host := range []string{"example.com", "other.example"} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://"+host+"/patients", nil))
		fmt.Println(host, rec.Code, rec.Body.String())
	}
	// Output:
	// example.com 200 0 patients
	// other.example 404 {"error":"unknown tenant"}
}
