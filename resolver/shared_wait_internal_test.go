package resolver

import (
	"context"
	"errors"
	"testing"
	"time"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestSetWaitingForOpenerKeepsDatabaseUnshared: a Set of a tenant
// without a pool that waits behind the tenant's opener, while another
// tenant is given the same database, is refused once it gets its turn:
// it checked the database before it waited, and must check it again.
// Otherwise both tenants serve it, and the first removal frees it for a
// third.
func TestSetWaitingForOpenerKeepsDatabaseUnshared(t *testing.T) {
	r, err := New(Config{
		Template: Template{Driver: "memory"},
		Drivers:  []dbdriver.Driver{namedDriver{}},
		MaxPools: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	bg := context.Background()
	ds := func(name string) tenantconfig.Database {
		return tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: name}}
	}
	for id, name := range map[string]string{"a": "A", "c": "C"} {
		if err := r.Set(bg, id, ds(name)); err != nil {
			t.Fatal(err)
		}
	}
	// c's pool holds the only slot, leased: a's opener waits for a slot,
	// holding a's open lock.
	held, err := r.acquire(bg, "c")
	if err != nil {
		t.Fatal(err)
	}
	defer held.release()
	openCtx, stopOpen := context.WithCancel(tenant.NewContext(bg, "a"))
	defer stopOpen()
	opened := make(chan error, 1)
	go func() {
		_, err := r.ConnPool(openCtx, "a", tenantplugin.AccessWrite)
		opened <- err
	}()
	for r.slotWaiters.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// a's change to X checks X (free), then waits for a's open lock.
	set := make(chan error, 1)
	go func() { set <- r.Set(bg, "a", ds("X")) }()
	for r.openWaiters.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := r.Set(bg, "b", ds("X")); err != nil {
		t.Fatalf("b given the free database X: %v", err)
	}
	stopOpen()
	if err := <-opened; err == nil {
		t.Fatal("a's pool opened with the only slot leased")
	}
	if err := <-set; !errors.Is(err, ErrDatabaseShared) {
		t.Errorf("a's change to X, given to b while a's Set waited: %v, want ErrDatabaseShared", err)
	}
	if got, _ := r.Database("a"); got.Name != "A" {
		t.Errorf("a serves %q, want it left on A", got.Name)
	}
	// Whatever a's Set did, b's removal must not free X while another
	// tenant serves it.
	if err := r.Remove(bg, "b"); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Database("a"); got.Name == "X" {
		if err := r.Set(bg, "d", ds("X")); !errors.Is(err, ErrDatabaseShared) {
			t.Errorf("d given X, which a serves: %v, want ErrDatabaseShared", err)
		}
	}
}
