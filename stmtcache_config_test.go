package tenantplugin

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/tenantrouter/tenantplugin/tenant"
)

type noTenants struct{}

func (noTenants) ConnPool(context.Context, string, Access) (gorm.ConnPool, error) {
	return nil, tenant.ErrUnknown
}

// TestStmtCacheSize: 0 caches DefaultStmtCacheSize statements per
// reserved pool, -1 caches none and sends a PrepareStmt session's
// statements unprepared, and other negative sizes fail db.Use naming
// the field.
func TestStmtCacheSize(t *testing.T) {
	for _, c := range []struct {
		size    int
		cached  bool
		refused bool
	}{{0, true, false}, {7, true, false}, {-1, false, false}, {-2, false, true}} {
		db, err := gorm.Open(sqlite.Open(filepath.Join(t.TempDir(), "central.db")), &gorm.Config{Logger: logger.Discard})
		if err != nil {
			t.Fatal(err)
		}
		sqlDB, _ := db.DB()
		t.Cleanup(func() { _ = sqlDB.Close() })
		central := StrategyFunc(func(Statement) (Route, bool) { return ReservedRoute(DefaultAlias), true })
		p := New(Config{Resolver: noTenants{}, StmtCacheSize: c.size, Strategies: []Strategy{central}, Logger: slog.New(slog.DiscardHandler)})
		err = db.Use(p)
		if c.refused {
			if err == nil || !strings.Contains(err.Error(), "Config.StmtCacheSize -2") {
				t.Fatalf("size %d: db.Use = %v, want a refusal naming Config.StmtCacheSize", c.size, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("size %d: %v", c.size, err)
		}
		s := p.reserved[DefaultAlias]
		if got := s.cache != nil; got != c.cached {
			t.Fatalf("size %d: cache %v, want %v", c.size, got, c.cached)
		}
		if c.cached && s.prepared.pool == s.plain.pool {
			t.Fatalf("size %d: PrepareStmt sessions use the plain pool", c.size)
		}
		if !c.cached && s.prepared.pool != s.plain.pool {
			t.Fatalf("size %d: PrepareStmt sessions do not send statements unprepared", c.size)
		}
		var n int
		err = db.Session(&gorm.Session{PrepareStmt: true}).Raw("SELECT 1").Scan(&n).Error
		if err != nil || n != 1 {
			t.Fatalf("size %d: PrepareStmt query on the reserved pool: %d, %v", c.size, n, err)
		}
		if c.cached && s.cache.Len() != 1 {
			t.Fatalf("size %d: %d statements cached, want 1", c.size, s.cache.Len())
		}
		_ = p.Close()
		if err := p.Close(); err != nil {
			t.Fatalf("size %d: second Close: %v", c.size, err)
		}
	}
}
