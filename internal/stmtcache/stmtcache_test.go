package stmtcache_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	_ "github.com/glebarez/go-sqlite"

	"github.com/tenantrouter/tenantplugin/internal/stmtcache"
)

func open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCacheBoundsAndCloses(t *testing.T) {
	ctx := context.Background()
	c := stmtcache.New(open(t), 3)
	p := stmtcache.Pool{C: c}
	for i := range 10 {
		var n int
		if err := p.QueryRowContext(ctx, fmt.Sprintf("SELECT %d", i)).Scan(&n); err != nil || n != i {
			t.Fatalf("query %d: %v %d", i, err, n)
		}
	}
	if c.Len() != 3 {
		t.Fatalf("%d statements cached, want 3", c.Len())
	}
	st1, err := c.Prepare(ctx, "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := c.Prepare(ctx, "SELECT 1")
	if st1 != st2 {
		t.Fatal("the same SQL was prepared twice")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Prepare(ctx, "SELECT 1"); !errors.Is(err, stmtcache.ErrClosed) {
		t.Fatalf("Prepare after Close: %v", err)
	}
}
