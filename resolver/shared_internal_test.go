package resolver

import (
	"context"
	"database/sql/driver"
	"errors"
	"runtime"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/memdriver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// namedDriver's connectors name the database by the data source's Name.
type namedDriver struct{}

func (namedDriver) Name() string { return "memory" }

func (namedDriver) Connector(_ string, c tenantconfig.DataSource) (driver.Connector, error) {
	return namedConnector{name: c.Name}, nil
}

type namedConnector struct {
	memdriver.Connector
	name string
}

func (c namedConnector) Database() string { return c.name }

// TestSetChecksSharingAfterWaitingToOpen: a Set of a registered tenant
// whose pool is not open waits for the tenant's open lock (held here as
// a request opening the pool would hold it); a new tenant given the same
// database meanwhile gets it, so the waiting Set must then be refused,
// or two tenants serve one database.
func TestSetChecksSharingAfterWaitingToOpen(t *testing.T) {
	ctx := context.Background()
	r, err := New(Config{Template: Template{Driver: "memory"}, Drivers: []dbdriver.Driver{namedDriver{}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ds := func(name string) tenantconfig.Database {
		return tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: name}}
	}
	if err := r.Set(ctx, "a", ds("a.db")); err != nil {
		t.Fatal(err)
	}
	r.mu.RLock()
	ta := r.tenants["a"]
	r.mu.RUnlock()
	ta.openMu.Lock()
	done := make(chan error, 1)
	go func() { done <- r.Set(ctx, "a", ds("x.db")) }()
	for r.openWaiters.Load() == 0 { // a's Set checked x.db and waits for the lock
		runtime.Gosched()
	}
	errB := r.Set(ctx, "b", ds("x.db"))
	r.unlockOpen(ta)
	errA := <-done
	if errB != nil {
		t.Fatalf("b given x.db first: %v", errB)
	}
	if !errors.Is(errA, ErrDatabaseShared) {
		t.Errorf("a given x.db after b got it: %v, want ErrDatabaseShared", errA)
	}
	if got, _ := r.Database("a"); got.Name != "a.db" {
		t.Errorf("a serves %s, want it left on a.db", got.Name)
	}
	// b's database stays b's: removing a does not free it.
	if err := r.Remove(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := r.Set(ctx, "c", ds("x.db")); !errors.Is(err, ErrDatabaseShared) {
		t.Errorf("c given b's x.db: %v, want ErrDatabaseShared", err)
	}
}
