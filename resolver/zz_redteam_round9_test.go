package resolver_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/tenantrouter/tenantplugin/resolver"
)

// TestRedTeam9VerifyAfterClose: the resolver answers ErrClosed after
// Close; Verify must too, and open nothing (a Syncer still running
// verifies every change it is told of, against a closed resolver).
func TestRedTeam9VerifyAfterClose(t *testing.T) {
	r, err := resolver.New(sqliteConfig())
	if err != nil {
		t.Fatal(err)
	}
	// A tenant served before Close: its server's budget exists.
	if err := r.Set(context.Background(), "a", file(t, "a.db")); err != nil {
		t.Fatal(err)
	}
	l, err := r.Lease(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := file(t, "verified-after-close.db")
	err = r.Verify(context.Background(), cfg)
	if !errors.Is(err, resolver.ErrClosed) {
		t.Errorf("Verify after Close: %v, want ErrClosed", err)
	}
	if _, statErr := os.Stat(cfg.Name); statErr == nil {
		t.Errorf("Verify after Close opened the tenant's database (created %s)", cfg.Name)
	}
}
