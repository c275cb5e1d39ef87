package tenantplugin_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// dialectorResolver records the dialector Initialize hands it.
type dialectorResolver struct {
	got gorm.Dialector
	err error
}

func (r *dialectorResolver) ConnPool(context.Context, string, tenantplugin.Access) (gorm.ConnPool, error) {
	return nil, tenant.ErrUnknown
}

func (r *dialectorResolver) UseDialector(d gorm.Dialector) error {
	r.got = d
	return r.err
}

// TestInitializeHandsTheDialectorToTheResolver installs the plugin with
// a resolver that wants the *gorm.DB's dialector: it gets it, and its
// refusal fails db.Use and leaves the *gorm.DB's pool in place.
func TestInitializeHandsTheDialectorToTheResolver(t *testing.T) {
	refusal := errors.New("resolver: no thanks")
	tests := []struct {
		name string
		err  error
	}{
		{"accepted", nil},
		{"refused", refusal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := gorm.Open(sqlite.Open(filepath.Join(t.TempDir(), "central.db")), &gorm.Config{Logger: logger.Discard})
			if err != nil {
				t.Fatal(err)
			}
			sqlDB, _ := db.DB()
			t.Cleanup(func() { _ = sqlDB.Close() })
			res := &dialectorResolver{err: tt.err}
			err = db.Use(tenantplugin.New(tenantplugin.Config{Resolver: res, Logger: fixture.Quiet()}))
			if res.got != tenantplugin.OriginalDialector(db) {
				t.Fatalf("UseDialector got %v, want the *gorm.DB's dialector", res.got)
			}
			if tt.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, refusal) || err.Error() != "tenantplugin: "+refusal.Error() {
				t.Fatalf("db.Use: err = %v, want the resolver's refusal", err)
			}
			if db.Config.ConnPool != gorm.ConnPool(sqlDB) {
				t.Fatal("a refused Initialize replaced the *gorm.DB's pool")
			}
		})
	}
}
