package tenantsync_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// TestLoad: Load sets every tenant the store holds, once, with the
// store's versions; a tenant without the served database is reported
// and the others set all the same; an empty store is refused unless
// AllowEmpty; nothing keeps running afterwards (goleak in TestMain).
func TestLoad(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	r := newResolver(t)
	if err := tenantsync.Load(ctx, store, r); !errors.Is(err, tenantsync.ErrEmptyStore) {
		t.Fatalf("empty store: %v, want ErrEmptyStore", err)
	}
	if err := tenantsync.Load(ctx, store, r, tenantsync.WithAllowEmpty()); err != nil {
		t.Fatalf("empty store, AllowEmpty: %v", err)
	}

	other := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {"reports": {DataSource: tenantconfig.DataSource{Name: "x.db"}}},
	}}
	vs := mustApply(t, store, put("a", "load-a.db"), put("b", "load-b.db"),
		tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "c", Config: other})
	err := tenantsync.Load(ctx, store, r)
	if err == nil || !strings.Contains(err.Error(), `tenant "c": no orm_config.gorm.default`) {
		t.Fatalf("Load = %v, want an error naming tenant c", err)
	}
	for i, id := range []string{"a", "b"} {
		db, ok := r.Database(id)
		if !ok || db.Version != vs[i] || !strings.HasSuffix(db.Name, "load-"+id+".db") {
			t.Fatalf("tenant %s: %+v, %v; want version %d", id, db, ok, vs[i])
		}
	}
	if _, ok := r.Database("c"); ok {
		t.Fatal("tenant c set without its database")
	}
}
