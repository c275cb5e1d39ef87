package tenantsync_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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

// TestLoadLogsOneLine: Load sets the tenants without a line each from
// the resolver, and logs one line for all; a Digester store is read in
// chunks, never whole.
func TestLoadLogsOneLine(t *testing.T) {
	for _, kind := range []string{"digest", "snapshot"} {
		t.Run(kind, func(t *testing.T) {
			digesting, store := readCounterStore(kind)
			changes := make([]tenantconfig.Change, 0, 1500)
			for i := range 1500 {
				changes = append(changes, put(fmt.Sprintf("t%04d", i), fmt.Sprintf("t%04d.db", i)))
			}
			mustApply(t, store, changes...)
			logs := &logLines{}
			logger := slog.New(logs)
			r := newLoggedResolver(t, logger)
			if err := tenantsync.Load(context.Background(), store, r, tenantsync.WithLogger(logger)); err != nil {
				t.Fatal(err)
			}
			if n := len(r.Tenants()); n != 1500 {
				t.Fatalf("%d tenants set, want 1500", n)
			}
			want := []string{"tenants loaded from the store tenants=1500 set=1500 refused=0"}
			if got := logs.take(); !slices.Equal(got, want) {
				t.Fatalf("Load logged %d lines, first %q; want %q", len(got), got[:min(len(got), 3)], want)
			}
			if kind == "digest" && (digesting.snapshots.Load() != 0 || digesting.maxChunk.Load() > 1000) {
				t.Fatalf("%d snapshots, chunks of up to %d: want none and at most 1000", digesting.snapshots.Load(), digesting.maxChunk.Load())
			}
		})
	}
}
