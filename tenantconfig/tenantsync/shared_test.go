package tenantsync_test

import (
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
)

// lateDriver is the SQLite driver, except that the first connector of
// the file named slow is built only once the resolver serves tenant
// after: the Set naming it is overtaken by another's.
type lateDriver struct {
	dbdriver.Driver
	slow, after string
	r           *atomic.Pointer[resolver.Resolver]
	held        *atomic.Bool
}

func (d lateDriver) Connector(tmpl string, c tenantconfig.DataSource) (driver.Connector, error) {
	if c.Name == d.slow && d.held.CompareAndSwap(false, true) {
		for !d.r.Load().Has(d.after) {
			time.Sleep(time.Millisecond) // the resolver has no signal for a Set done
		}
	}
	return d.Driver.Connector(tmpl, c)
}

// TestSharedDatabaseGoesToTheFirstTenantInOrder: of two new tenants of
// one boot naming one database, every instance serves the same one, the
// first in order, as when tenants are set one by one: the tenants set
// together (64 and more) must not let whichever Set runs first win, or
// two instances would serve the database to two tenants.
func TestSharedDatabaseGoesToTheFirstTenantInOrder(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	shared := filepath.Join(dir, t.Name(), "shared.db")
	// The same file spelled otherwise: the resolver compares files.
	sharedToo := filepath.Join(dir, t.Name()) + "/sub/../shared.db"
	var rp atomic.Pointer[resolver.Resolver]
	drv := lateDriver{Driver: sqlitedriver.New(), slow: shared, after: "t099", r: &rp, held: new(atomic.Bool)}
	r, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{drv},
		Logger:   fixture.Quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	rp.Store(r)
	t.Cleanup(func() { _ = r.Close() })
	store := memstore.New()
	var changes []tenantconfig.Change
	for i := range 100 {
		id := fmt.Sprintf("t%03d", i)
		name := filepath.Join(dir, t.Name(), id+".db")
		switch i {
		case 0:
			name = shared
		case 99:
			name = sharedToo
		}
		changes = append(changes, put(id, name))
	}
	mustApply(t, store, changes...)
	start(t, store, r)
	if got, _ := r.Database("t000"); got.Name != shared {
		t.Errorf("t000, first in order, serves %q; want the database it shares with t099 (t099 serves it: %v)", got.Name, r.Has("t099"))
	}
	if r.Has("t099") {
		t.Error("t099 serves the database t000 names too")
	}
	if n := len(r.Tenants()); n != 99 {
		t.Errorf("%d tenants served, want 99", n)
	}
}
