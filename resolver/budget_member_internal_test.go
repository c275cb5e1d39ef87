package resolver

import (
	"context"
	"database/sql/driver"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/memdriver"
)

// TestReuseHookOnlyWithALimit: a budget with a limit may ask a pool to
// give a connection back, so its connections check on each return
// (driver.Validator); an unlimited budget never asks, and its
// connections are as database/sql would have them without the budget:
// no Validator for a driver that has none, no call on every query.
func TestReuseHookOnlyWithALimit(t *testing.T) {
	for _, tt := range []struct {
		max       int
		validator bool
	}{{-1, false}, {4, true}} {
		var clock atomic.Int64
		b := newBudget(tt.max, &clock, new(atomic.Int32), slog.New(slog.NewTextHandler(io.Discard, nil)))
		db := b.open(memdriver.Connector{}, 2, 2)
		c, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var ok bool
		if err := c.Raw(func(dc any) error {
			_, ok = dc.(driver.Validator)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		_ = c.Close()
		_ = db.Close()
		if ok != tt.validator {
			t.Errorf("MaxConns %d: connection is a driver.Validator: %v, want %v", tt.max, ok, tt.validator)
		}
	}
}
