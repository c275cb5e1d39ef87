package resolver_test

import (
	"errors"
	"strings"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
)

// wantUnleased fails unless err refuses to hand out a tenant's *sql.DB
// and points to Resolver.Lease.
func wantUnleased(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, tenantplugin.ErrBypassedRouting) || !strings.Contains(err.Error(), "Resolver.Lease") {
		t.Fatalf("%s: err = %v, want ErrBypassedRouting pointing to Resolver.Lease", what, err)
	}
}

// TestTenantDBNotHandedOut: no path through GORM hands out a tenant's
// *sql.DB without a lease. The tenant's pool and its transactions refuse
// GetDBConn, so tx.DB() and tx.Connection fail inside a tenant
// transaction without sending anything; db.DB() outside a transaction is
// the central database, whatever the context.
func TestTenantDBNotHandedOut(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1})
	id := e.Tenants[0]
	ctx := e.Ctx(id)

	pool, err := e.Resolver.ConnPool(ctx, id, tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pool.(gorm.GetDBConnector).GetDBConn()
	wantUnleased(t, "GetDBConn on the tenant's pool", err)

	central, err := e.DB.DB()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.DB.WithContext(ctx).DB(); err != nil || got != central {
		t.Fatalf("db.WithContext(tenant).DB() = %p, %v; want the central database %p", got, err, central)
	}

	centralBefore, tenantBefore := e.Counter.Get(fixture.Central), e.Counter.Get(id)
	ran := false
	err = e.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		_, err := tx.DB()
		wantUnleased(t, "tx.DB()", err)
		return tx.Connection(func(*gorm.DB) error {
			ran = true
			return nil
		})
	})
	wantUnleased(t, "tx.Connection", err)
	if ran {
		t.Fatal("tx.Connection ran its function")
	}
	if n := e.Counter.Get(fixture.Central) - centralBefore; n != 0 {
		t.Fatalf("the central database received %d statements", n)
	}
	// The transaction's BEGIN, nothing else.
	if n := e.Counter.Get(id) - tenantBefore; n != 1 {
		t.Fatalf("the tenant's database received %d statements, want 1 (BEGIN): %s", n, e.Counter)
	}
}
