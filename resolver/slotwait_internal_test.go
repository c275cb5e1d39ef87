package resolver

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/memdriver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// gatedDriver builds tenant "slow"'s connector only once gate is closed,
// from its second call on (the first is Set's check); building tells
// that it is waiting there.
type gatedDriver struct {
	gate     chan struct{}
	building chan struct{}
	calls    *atomic.Int32
}

func (gatedDriver) Name() string { return "memory" }

func (d gatedDriver) Connector(_ string, c tenantconfig.DataSource) (driver.Connector, error) {
	if c.Name == "slow" && d.calls.Add(1) == 2 {
		close(d.building)
		<-d.gate
	}
	return memdriver.Connector{}, nil
}

// TestSlotWaiterSeesPoolBuiltMeanwhile: with MaxPools 1, a request for
// another tenant that looked for an idle pool while the only pool was
// still being built (nothing to evict yet) must not wait for a wake-up
// that never comes when that pool, once built, is never leased: it looks
// again, finds the pool idle and evicts it.
func TestSlotWaiterSeesPoolBuiltMeanwhile(t *testing.T) {
	d := gatedDriver{gate: make(chan struct{}), building: make(chan struct{}), calls: new(atomic.Int32)}
	r, err := New(Config{
		Template: Template{Driver: "memory"},
		Drivers:  []dbdriver.Driver{d},
		MaxPools: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	bg := context.Background()
	for _, id := range []string{"slow", "other"} {
		if err := r.Set(bg, id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: id}}); err != nil {
			t.Fatal(err)
		}
	}
	// The first tenant's pool takes the only slot and is built; its
	// handle is never used, so the pool is never leased.
	built := make(chan error, 1)
	go func() {
		_, err := r.ConnPool(tenant.NewContext(bg, "slow"), "slow", tenantplugin.AccessWrite)
		built <- err
	}()
	<-d.building
	// The second tenant waits for a slot while the first pool is built.
	ctx, cancel := context.WithTimeout(tenant.NewContext(bg, "other"), 3*time.Second)
	defer cancel()
	got := make(chan error, 1)
	go func() {
		_, err := r.ConnPool(ctx, "other", tenantplugin.AccessWrite)
		got <- err
	}()
	for r.slotWaiters.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(d.gate)
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		if errors.Is(err, ErrPoolsExhausted) {
			t.Fatalf("the waiter never saw the idle pool built meanwhile: %v", err)
		}
		t.Fatal(err)
	}
}
