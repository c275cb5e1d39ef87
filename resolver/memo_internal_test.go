package resolver

import (
	"context"
	"database/sql/driver"
	"testing"
	"time"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/memdriver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestContextMemoSkipsTheLookup: once a context has reached a tenant's
// pool, its next statements find the pool without the resolver's map,
// and so without its lock: with the lock held by a writer, a context
// that knows the tenant still gets its pool, and a new context waits.
func TestContextMemoSkipsTheLookup(t *testing.T) {
	r, err := New(Config{
		Template: Template{Driver: "memory"},
		Drivers:  []dbdriver.Driver{memDriver{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Set(context.Background(), "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: "a"}}); err != nil {
		t.Fatal(err)
	}
	known := tenant.NewContext(context.Background(), "acme")
	if _, err := r.ConnPool(known, "acme", tenantplugin.AccessWrite); err != nil {
		t.Fatal(err)
	}
	get := func(ctx context.Context) <-chan error {
		done := make(chan error, 1)
		go func() {
			_, err := r.ConnPool(ctx, "acme", tenantplugin.AccessWrite)
			done <- err
		}()
		return done
	}
	r.mu.Lock()
	select {
	case err := <-get(known):
		if err != nil {
			t.Error(err)
		}
	case <-time.After(5 * time.Second):
		t.Error("a context that knows the tenant waited for the resolver's lock")
	}
	fresh := get(tenant.NewContext(context.Background(), "acme"))
	select {
	case err := <-fresh:
		t.Errorf("a new context got the pool (%v) without the look-up", err)
	case <-time.After(50 * time.Millisecond):
	}
	r.mu.Unlock()
	if err := <-fresh; err != nil {
		t.Error(err)
	}
}

// memDriver opens every tenant on the in-memory driver.
type memDriver struct{}

func (memDriver) Name() string { return "memory" }
func (memDriver) Connector(string, tenantconfig.DataSource) (driver.Connector, error) {
	return memdriver.Connector{}, nil
}
