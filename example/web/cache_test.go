package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/example/web"
)

// fakeCache is a ListCache in memory, for one tenant.
type fakeCache struct {
	mu    sync.Mutex
	lists map[string][]byte
	puts  int
}

func (c *fakeCache) List(_ context.Context, name string) ([]byte, func([]byte)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.lists[name]; ok {
		return b, nil
	}
	return nil, func(b []byte) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.lists[name] = b
		c.puts++
	}
}

// TestHospitalsCached: a miss answers from the database and stores
// exactly the body sent; a hit answers the cached body without reading
// the database.
func TestHospitalsCached(t *testing.T) {
	db, err := gorm.Open(sqlite.Open(filepath.Join(t.TempDir(), "t.db")), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	if err := db.AutoMigrate(hospital.TenantModels()...); err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&hospital.Hospital{Name: "Main", Address: "1 <Main> Street"}).Error; err != nil {
		t.Fatal(err)
	}
	cache := &fakeCache{lists: map[string][]byte{}}
	h := web.Handlers{DB: db, Log: slog.New(slog.DiscardHandler), Cache: cache}
	get := func() *httptest.ResponseRecorder {
		r := chiRouter(h)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/hospitals", nil))
		return w
	}
	first := get()
	if first.Code != http.StatusOK || cache.puts != 1 || string(cache.lists[web.ListHospitals]) != first.Body.String() {
		t.Fatalf("miss: %d %q, puts %d, stored %q", first.Code, first.Body, cache.puts, cache.lists[web.ListHospitals])
	}
	if err := db.Create(&hospital.Hospital{Name: "Second"}).Error; err != nil {
		t.Fatal(err)
	}
	second := get()
	if second.Code != http.StatusOK || second.Body.String() != first.Body.String() || cache.puts != 1 ||
		second.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("hit: %d %q %v, puts %d", second.Code, second.Body, second.Header(), cache.puts)
	}
}
