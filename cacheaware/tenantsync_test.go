package cacheaware_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/cacheaware"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

var _ tenantsync.ConfigTarget = (*cacheaware.Caches)(nil)

// TestSyncerFeedsCaches: with tenantsync.WithConfigTargets, a tenant's
// cache_config in the store reaches the Caches, a change moves the
// tenant to its new cache, and a removal takes it away.
func TestSyncerFeedsCaches(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := uniq("sync")
	dropKeys(t, dbA, a)
	dropKeys(t, dbB, a)
	config := func(db int) tenantconfig.Config {
		return tenantconfig.Config{
			ORM: map[string]map[string]tenantconfig.Database{tenantconfig.GORM: {
				tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, "a.db")}},
			}},
			Cache: map[string]tenantconfig.Cache{"default": {URL: redisURL(t, db, "")}},
		}
	}
	store := memstore.New()
	if _, err := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: a, Config: config(dbA)}); err != nil {
		t.Fatal(err)
	}
	res, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	d := &dialer{}
	c := newCaches(t, cacheaware.Config{Dial: d.dial, RetireGrace: -1})
	syncer, err := tenantsync.Start(ctx, store, res, tenantsync.WithLogger(quiet), tenantsync.WithConfigTargets(c))
	if err != nil {
		t.Fatal(err)
	}
	defer syncer.Close()

	if err := mustClient(as(a), t, c, "default").Set(as(a), "k:"+a, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: a, Config: config(dbB)}); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, d.opened()[0], "the store's change")
	if got := mustClient(as(a), t, c, "default").Exists(as(a), "k:"+a).Val(); got != 0 {
		t.Fatal("after the change the tenant's cache is still the old one")
	}
	if _, err := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: a}); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, d.opened()[1], "the store's removal")
	if _, err := c.Client(as(a), "default"); !errors.Is(err, tenant.ErrUnknown) {
		t.Fatalf("Client of a removed tenant: %v", err)
	}
}
