package resolver_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// TestSlotWaiterTakesIdlePool: with MaxPools 2 held by two busy tenants
// that go idle half the time, requests for other tenants get a pool slot
// as soon as one of them is idle, well within their deadline.
func TestSlotWaiterTakesIdlePool(t *testing.T) {
	cfg := sqliteConfig()
	cfg.MaxPools = 2
	r := newResolver(t, cfg)
	ctx := context.Background()
	hot := []string{"h0", "h1"}
	others := make([]string, 8)
	for i := range others {
		others[i] = fmt.Sprintf("c%d", i)
	}
	for _, id := range append(hot, others...) {
		if err := r.Set(ctx, id, file(t, id+".db")); err != nil {
			t.Fatal(err)
		}
	}

	// Hot tenants: a transaction held 20 ms, then 20 ms idle, until stopped.
	stop := make(chan struct{})
	var hotWG sync.WaitGroup
	var hotRounds atomic.Int64
	hotErrs := make(chan error, len(hot))
	for _, id := range hot {
		hotWG.Add(1)
		go func() {
			defer hotWG.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := busy(r, id); err != nil {
					hotErrs <- fmt.Errorf("hot tenant %s: %w", id, err)
					return
				}
				hotRounds.Add(1)
				time.Sleep(20 * time.Millisecond) // idle
			}
		}()
	}

	// A stream of requests for the other tenants, 500 ms each, 10 ms
	// apart.
	const requests = 30
	failed, served := 0, 0
	for i := range requests {
		id := others[i%len(others)]
		qctx, cancel := context.WithTimeout(tenant.NewContext(ctx, id), 500*time.Millisecond)
		pool, err := r.ConnPool(qctx, id, tenantplugin.AccessWrite)
		if err == nil {
			_, err = pool.ExecContext(qctx, "SELECT 1")
		}
		cancel()
		if err != nil {
			failed++
			t.Errorf("tenant %s: %v", id, err)
		} else {
			served++
		}
		time.Sleep(10 * time.Millisecond) // the next request comes later
	}
	close(stop)
	hotWG.Wait()
	close(hotErrs)
	for err := range hotErrs {
		t.Error(err)
	}
	t.Logf("%d requests served, %d failed; %d hot rounds; %+v", served, failed, hotRounds.Load(), r.Stats())
	if hotRounds.Load() == 0 {
		t.Fatal("the hot tenants never ran")
	}
}

// busy holds a transaction on tenant id for 20 ms.
func busy(r *resolver.Resolver, id string) error {
	ctx, cancel := context.WithTimeout(tenant.NewContext(context.Background(), id), 10*time.Second)
	defer cancel()
	pool, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
	if err != nil {
		return err
	}
	c, err := pool.(gorm.ConnPoolBeginner).BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	time.Sleep(20 * time.Millisecond) // busy
	return c.(gorm.TxCommitter).Rollback()
}
