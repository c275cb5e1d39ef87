package resolver_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestSetRefusesAnotherTenantsDatabase: a config naming a database that
// serves another tenant, as its primary or a replica, however the file
// is spelled, is refused with ErrDatabaseShared naming the other tenant,
// and changes nothing; once that tenant is removed, the database is free.
func TestSetRefusesAnotherTenantsDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	ds := func(name string) tenantconfig.DataSource { return tenantconfig.DataSource{Name: name} }
	r := newResolver(t, sqliteConfig())
	for id, name := range map[string]string{"a": a, "b": b} {
		if err := r.Set(ctx, id, tenantconfig.Database{DataSource: ds(name)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		cfg  tenantconfig.Database
	}{
		{"primary", tenantconfig.Database{DataSource: ds(a)}},
		{"spelled otherwise", tenantconfig.Database{DataSource: ds(filepath.Join(dir, "sub", "..", "a.db"))}},
		{"as a dsn", tenantconfig.Database{DataSource: tenantconfig.DataSource{DSN: "file:" + a + "?_pragma=busy_timeout(100)"}}},
		{"replica", tenantconfig.Database{DataSource: ds(b), Replicas: []tenantconfig.DataSource{ds(a)}}},
	} {
		err := r.Set(ctx, "b", tc.cfg)
		if !errors.Is(err, resolver.ErrDatabaseShared) || !strings.Contains(err.Error(), `tenant "a"`) {
			t.Errorf("%s: b given a's database: %v, want ErrDatabaseShared naming a", tc.name, err)
		}
		if got, _ := r.Database("b"); got.Name != b || len(got.Replicas) != 0 {
			t.Errorf("%s: b now serves %+v, want it left on %s", tc.name, got, b)
		}
		err = r.Set(ctx, "c", tc.cfg)
		if !errors.Is(err, resolver.ErrDatabaseShared) || r.Has("c") {
			t.Errorf("%s: new tenant c given a's database: %v (served: %v)", tc.name, err, r.Has("c"))
		}
	}
	// A's own config, set again or changed, is its own.
	if err := r.Set(ctx, "a", tenantconfig.Database{DataSource: ds(a), Replicas: []tenantconfig.DataSource{ds(a)}}); err != nil {
		t.Fatalf("a given its own database again: %v", err)
	}
	if err := r.Remove(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := r.Set(ctx, "c", tenantconfig.Database{DataSource: ds(a)}); err != nil {
		t.Fatalf("a's database after a's removal: %v", err)
	}
	// Moving b to a new database frees its old one.
	if err := r.Set(ctx, "b", tenantconfig.Database{DataSource: ds(filepath.Join(dir, "b2.db"))}); err != nil {
		t.Fatal(err)
	}
	if err := r.Set(ctx, "d", tenantconfig.Database{DataSource: ds(b)}); err != nil {
		t.Fatalf("b's old database after b moved: %v", err)
	}
}

// TestSetRefusesAnotherTenantsDatabasePostgres: the same on PostgreSQL,
// where the database is the server's and the name's, given as fields or
// as a DSN; a serving tenant's swap to it is refused.
func TestSetRefusesAnotherTenantsDatabasePostgres(t *testing.T) {
	ctx := context.Background()
	dbs := testenv.Databases(t, 2)
	r := newResolver(t, pgConfig(t))
	for i, id := range []string{"a", "b"} {
		if err := r.Set(ctx, id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[i]}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.ConnPool(tctx("b"), "b", 0); err != nil { // b's pool open: a change is a swap
		t.Fatal(err)
	}
	u := testenv.PostgresURL(t)
	dsn := strings.Replace(u, "/postgres?", "/"+dbs[0]+"?", 1)
	for _, cfg := range []tenantconfig.Database{
		{DataSource: tenantconfig.DataSource{Name: dbs[0]}},
		{DataSource: tenantconfig.DataSource{DSN: dsn}},
	} {
		err := r.Set(ctx, "b", cfg)
		if !errors.Is(err, resolver.ErrDatabaseShared) || !strings.Contains(err.Error(), "/"+dbs[0]) {
			t.Errorf("b given a's database %+v: %v, want ErrDatabaseShared naming it", cfg, err)
		}
		if got, _ := r.Database("b"); got.Name != dbs[1] {
			t.Errorf("b now serves %+v, want %s", got, dbs[1])
		}
	}
}
