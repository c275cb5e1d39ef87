// Package storetest is the conformance suite every [tenantconfig.Store]
// runs.
//
// # Usage
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) tenantconfig.Store { return newStore(t) })
//	}
//
// A store that is also a [tenantconfig.Watcher] is checked as one too.
// The suite checks the versions, the all-or-nothing Apply with its
// conditions and errors ([tenantconfig.ErrConflict],
// [tenantconfig.ErrExists], [tenant.ErrUnknown]), copies, and the
// announcements; a store that is also a [tenantconfig.Digester] has its
// digest checked: it changes with every change, equal contents have equal
// digests, and it is the XOR of the Sums ScanSums and Records give.
//
// # Concurrency
//
// Run calls newStore once per subtest; each store must be empty and of
// its own. Some subtests use a store from several goroutines.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Config returns a tenant's config whose database is named name, with a
// password, parameters, a replica and a cache, so that a store that drops
// a field fails the suite.
func Config(name string) tenantconfig.Config {
	return tenantconfig.Config{
		ORM: map[string]map[string]tenantconfig.Database{tenantconfig.GORM: {tenantconfig.DefaultAlias: {
			DataSource: tenantconfig.DataSource{Driver: "postgres", Host: "db", Name: name, User: "u", Password: "secret-" + name,
				Params: map[string]string{"application_name": name}},
			Replicas: []tenantconfig.DataSource{{Host: "replica", Name: name}},
		}}},
		Cache: map[string]tenantconfig.Cache{"default": {URL: "redis://127.0.0.1:6379/1"}},
	}
}

func put(id, name string) tenantconfig.Change {
	return tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: Config(name)}
}

// Run runs the suite. newStore must return an empty store of its own.
func Run(t *testing.T, newStore func(t *testing.T) tenantconfig.Store) {
	ctx := context.Background()
	t.Run("Empty", func(t *testing.T) {
		s := newStore(t)
		ids, err := s.List(ctx)
		if err != nil || len(ids) != 0 {
			t.Fatalf("List = %v, %v", ids, err)
		}
		snap, err := s.Snapshot(ctx)
		if err != nil || len(snap) != 0 {
			t.Fatalf("Snapshot = %v, %v", snap, err)
		}
		if _, err := s.Get(ctx, "nobody"); !errors.Is(err, tenant.ErrUnknown) {
			t.Fatalf("Get unknown: %v", err)
		}
	})
	t.Run("PutGetListSnapshot", func(t *testing.T) {
		s := newStore(t)
		vs, err := s.Apply(ctx, put("a", "db_a"), put("b", "db_b"))
		if err != nil || len(vs) != 2 || vs[1] <= vs[0] {
			t.Fatalf("Apply = %v, %v", vs, err)
		}
		r, err := s.Get(ctx, "a")
		if err != nil || r.Version != vs[0] || !reflect.DeepEqual(r.Config, Config("db_a")) {
			t.Fatalf("Get = %+v, %v", r, err)
		}
		ids, _ := s.List(ctx)
		slices.Sort(ids)
		if !slices.Equal(ids, []string{"a", "b"}) {
			t.Fatalf("List = %v", ids)
		}
		snap, err := s.Snapshot(ctx)
		if err != nil || len(snap) != 2 || snap["b"].Version != vs[1] || !reflect.DeepEqual(snap["b"].Config, Config("db_b")) {
			t.Fatalf("Snapshot = %+v, %v", snap, err)
		}
		// Returned configs are copies.
		r.Config.ORM[tenantconfig.GORM][tenantconfig.DefaultAlias] = tenantconfig.Database{}
		again, _ := s.Get(ctx, "a")
		if !reflect.DeepEqual(again.Config, Config("db_a")) {
			t.Fatal("changing a returned config changed the store")
		}
	})
	t.Run("VersionsGrow", func(t *testing.T) {
		s := newStore(t)
		var last uint64
		for i := range 5 {
			vs, err := s.Apply(ctx, put("a", fmt.Sprint("db", i)))
			if err != nil || vs[0] <= last {
				t.Fatalf("Apply %d = %v, %v (last %d)", i, vs, err, last)
			}
			last = vs[0]
		}
		vs, err := s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "a"})
		if err != nil || vs[0] <= last {
			t.Fatalf("Delete = %v, %v", vs, err)
		}
		vs, err = s.Apply(ctx, put("a", "again"))
		if err != nil || vs[0] <= last {
			t.Fatalf("Put after Delete = %v, %v: a version went back", vs, err)
		}
	})
	t.Run("AllOrNothing", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Apply(ctx, put("a", "db_a")); err != nil {
			t.Fatal(err)
		}
		before, _ := s.Snapshot(ctx)
		tests := []struct {
			name    string
			changes []tenantconfig.Change
			want    error
		}{
			{"create existing", []tenantconfig.Change{put("b", "db_b"), {Kind: tenantconfig.PutTenant, Tenant: "a", Config: Config("x"), Create: true}}, tenantconfig.ErrExists},
			{"update missing", []tenantconfig.Change{put("b", "db_b"), {Kind: tenantconfig.PutTenant, Tenant: "c", Config: Config("x"), Existing: true}}, tenant.ErrUnknown},
			{"delete missing", []tenantconfig.Change{{Kind: tenantconfig.DeleteTenant, Tenant: "c", Existing: true}}, tenant.ErrUnknown},
			{"bad id", []tenantconfig.Change{put("b", "db_b"), put("../x", "db")}, tenant.ErrInvalidID},
			{"no change", nil, tenantconfig.ErrInvalidChange},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := s.Apply(ctx, tt.changes...); !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				after, _ := s.Snapshot(ctx)
				if !reflect.DeepEqual(before, after) {
					t.Fatalf("a refused Apply changed the store: %v", after)
				}
			})
		}
		// IfVersion: the current version applies, any other conflicts.
		cur, _ := s.Get(ctx, "a")
		if _, err := s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "a", Config: Config("x"), IfVersion: cur.Version + 1}); !errors.Is(err, tenantconfig.ErrConflict) {
			t.Fatalf("stale IfVersion: %v", err)
		}
		if _, err := s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "zz", IfVersion: 1}); !errors.Is(err, tenantconfig.ErrConflict) {
			t.Fatalf("IfVersion on a missing tenant: %v", err)
		}
		after, _ := s.Snapshot(ctx)
		if !reflect.DeepEqual(before, after) {
			t.Fatal("a conflicting Apply changed the store")
		}
		if _, err := s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "a", Config: Config("db_a2"), IfVersion: cur.Version}); err != nil {
			t.Fatalf("current IfVersion: %v", err)
		}
		// Conditions see earlier changes of the same call.
		if _, err := s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "a"}, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "a", Config: Config("new"), Create: true}); err != nil {
			t.Fatalf("delete then create: %v", err)
		}
	})
	t.Run("ConcurrentApply", func(t *testing.T) {
		s := newStore(t)
		const workers, each = 8, 25
		var mu sync.Mutex
		var versions []uint64
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					vs, err := s.Apply(ctx, put(fmt.Sprintf("t%d", w), fmt.Sprint("db", i)))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					versions = append(versions, vs...)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		slices.Sort(versions)
		if len(slices.Compact(slices.Clone(versions))) != workers*each {
			t.Fatalf("versions are not unique: %d distinct of %d", len(slices.Compact(versions)), workers*each)
		}
		snap, _ := s.Snapshot(ctx)
		for w := range workers {
			if got := snap[fmt.Sprintf("t%d", w)].Config; !reflect.DeepEqual(got, Config(fmt.Sprint("db", each-1))) {
				t.Fatalf("t%d ends with %v", w, got.ORM)
			}
		}
	})
	t.Run("Mapping", func(t *testing.T) {
		s := newStore(t)
		m, ok := s.(tenantconfig.Mapper)
		if !ok {
			t.Skip("not a tenantconfig.Mapper")
		}
		got, err := m.Mapping(ctx)
		if err != nil || len(got) != 0 {
			t.Fatalf("empty mapping = %v, %v", got, err)
		}
		want := map[string]string{"POSTGRES_URL": "orm_config.gorm.default.dsn", "CACHE_URL": "cache_config.default.url"}
		for range 2 {
			if err := m.SetMapping(ctx, want); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := m.Mapping(ctx); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Mapping = %v, %v", got, err)
		}
		if err := m.SetMapping(ctx, map[string]string{"A": "cache_config.default.url"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := m.Mapping(ctx); len(got) != 1 {
			t.Fatalf("SetMapping did not replace: %v", got)
		}
	})
	runDigest(t, newStore)
	t.Run("Watch", func(t *testing.T) {
		s := newStore(t)
		w, ok := s.(tenantconfig.Watcher)
		if !ok {
			t.Skip("not a tenantconfig.Watcher")
		}
		var mu sync.Mutex
		var got []tenantconfig.Event
		stop, err := w.Watch(ctx, func(e tenantconfig.Event) {
			mu.Lock()
			got = append(got, e)
			mu.Unlock()
		}, func() {})
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		var want []tenantconfig.Event
		for i := range 20 {
			id := fmt.Sprintf("t%d", i%3)
			c := put(id, fmt.Sprint("db", i))
			if i%7 == 6 {
				c = tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: id}
			}
			vs, err := s.Apply(ctx, c)
			if err != nil {
				if i%7 == 6 { // deleting an absent tenant is allowed without Existing
					t.Fatal(err)
				}
				t.Fatal(err)
			}
			want = append(want, tenantconfig.Event{Tenant: id, Version: vs[0], Deleted: c.Kind == tenantconfig.DeleteTenant})
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if n >= len(want) || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("events:\n got %v\nwant %v", got, want)
		}
	})
}
