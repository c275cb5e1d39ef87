package tenantplugin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// RTBoom is a tenant model whose BeforeCreate hook panics on a body of
// "boom".
type RTBoom struct {
	ID   uint
	Body string
}

var errBoom = errors.New("boom")

func (b *RTBoom) BeforeCreate(*gorm.DB) error {
	if b.Body == "boom" {
		panic(errBoom)
	}
	return nil
}

// TestRedteamHookPanicHoldsThePool: a panic in a hook runs through GORM's
// implicit write transaction, which is then neither committed nor rolled
// back (GORM's processor has no recover; go-gorm/gorm#5845). The
// resolver ends a transaction's lease when its context ends, but a
// background job's context may never end (here: not before the test's
// cleanup): the tenant's pool stays leased for good, so with MaxPools 1
// no other tenant can ever be served (ErrPoolsExhausted), Remove never
// closes the pool and Close never returns. Plain GORM loses one
// connection; here a whole pool slot goes. Expected: the implicit
// transaction is rolled back when the panic goes through (the plugin
// could wrap the hook callbacks with a recover that rolls back and
// panics again), and the other tenant is served.
func TestRedteamHookPanicHoldsThePool(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 2, Resolver: resolver.Config{MaxPools: 1}})
	a, bb := e.Tenants[0], e.Tenants[1]
	for _, id := range e.Tenants {
		if err := e.DB.WithContext(e.Ctx(id)).AutoMigrate(&RTBoom{}); err != nil {
			t.Fatal(err)
		}
	}
	// A background job's context: it ends only when the test is over
	// (registered after the fixture's, this cleanup runs before the
	// resolver's Close).
	job, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	func() {
		defer func() {
			if err, _ := recover().(error); !errors.Is(err, errBoom) {
				t.Fatalf("recovered %v, want the hook's panic", err)
			}
		}()
		e.DB.WithContext(tenant.NewContext(job, a)).Create(&RTBoom{Body: "boom"})
	}()
	ctx, cancel := context.WithTimeout(e.Ctx(bb), 2*time.Second)
	defer cancel()
	if err := e.DB.WithContext(ctx).Create(&RTBoom{Body: "ok"}).Error; err != nil {
		t.Errorf("tenant %s after a hook panicked in tenant %s's implicit transaction (MaxPools 1): %v", bb, a, err)
	}
}
