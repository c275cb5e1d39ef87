package resolver_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// hookDriver runs hook, once armed, when the resolver builds a
// connector: while it opens a tenant's pool.
type hookDriver struct {
	dbdriver.Driver
	hook func()
}

func (h *hookDriver) Connector(tmpl string, c tenantconfig.DataSource) (driver.Connector, error) {
	if h.hook != nil {
		h.hook()
	}
	return h.Driver.Connector(tmpl, c)
}

// TestRedTeam9LeaseEndedDuringOpen: a lease whose context ends while the
// tenant's pool opens ends at once; Lease must not hand it out as if it
// were held (its *sql.DB may close at any time).
func TestRedTeam9LeaseEndedDuringOpen(t *testing.T) {
	hd := &hookDriver{Driver: sqlitedriver.New()}
	cfg := sqliteConfig()
	cfg.Drivers = []dbdriver.Driver{hd}
	r, err := resolver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	if err := r.Set(context.Background(), "a", file(t, "a.db")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hd.hook = cancel
	l, err := r.Lease(ctx, "a")
	if err == nil {
		l.Release()
		t.Fatal("Lease returned a lease whose context ended while the pool opened, and no error")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Lease: %v, want context.Canceled", err)
	}
}

// TestRedTeam9PanickingConnectorGivesSlotBack: a driver that panics
// while the resolver builds a tenant's pool must not keep the pool's
// MaxPools slot: Close would wait for it for good, and with MaxPools
// reached every other tenant would wait.
func TestRedTeam9PanickingConnectorGivesSlotBack(t *testing.T) {
	hd := &hookDriver{Driver: sqlitedriver.New()}
	cfg := sqliteConfig()
	cfg.Drivers = []dbdriver.Driver{hd}
	cfg.MaxPools = 1
	r, err := resolver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if err := r.Set(context.Background(), id, file(t, id+".db")); err != nil {
			t.Fatal(err)
		}
	}
	hd.hook = func() { panic("driver bug") }
	func() {
		defer func() { _ = recover() }()
		l, err := r.Lease(context.Background(), "a")
		if err == nil {
			l.Release()
		}
	}()
	hd.hook = nil
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l, err := r.Lease(ctx, "b")
	if err != nil {
		t.Fatalf("another tenant after the panic, MaxPools 1: %v", err)
	}
	l.Release()
	done := make(chan error, 1)
	go func() { done <- r.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked after a driver panicked while a pool opened")
	}
}
