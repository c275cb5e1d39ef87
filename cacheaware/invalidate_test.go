package cacheaware_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/cacheaware"
	"github.com/tenantrouter/tenantplugin/internal/redisurl"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// fill writes n keys for the tenant in ctx through a prefixed client.
func fill(ctx context.Context, t *testing.T, cl redis.UniversalClient, n int) {
	t.Helper()
	_, err := cl.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range n {
			p.Set(ctx, fmt.Sprintf("page:%d", i), i, time.Minute)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// count counts the keys of a tenant through its prefixed client.
func count(ctx context.Context, t *testing.T, cl redis.UniversalClient) int {
	t.Helper()
	n := 0
	countNode := func(ctx context.Context, node *redis.Client) error {
		p, _ := cacheaware.Prefix(ctx)
		iter := node.Scan(ctx, 0, escape(p)+"*", 1000).Iterator()
		for iter.Next(ctx) {
			n++
		}
		return iter.Err()
	}
	var err error
	if cc, ok := cl.(*redis.ClusterClient); ok {
		// The node clients of ForEachMaster carry no hook; one at a time.
		var mu sync.Mutex
		var nodes []*redis.Client
		err = cc.ForEachMaster(ctx, func(_ context.Context, node *redis.Client) error {
			mu.Lock()
			nodes = append(nodes, node)
			mu.Unlock()
			return nil
		})
		for _, node := range nodes {
			if err == nil {
				err = countNode(ctx, node)
			}
		}
	} else {
		err = countNode(ctx, rawClient(t, dbShared))
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// escape escapes a glob pattern the plain way, to check Invalidate's
// own escaping.
func escape(s string) string {
	out := ""
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\', '^':
			out += `\`
		}
		out += string(r)
	}
	return out
}

// TestInvalidateLeavesOtherTenants: invalidating one tenant of a shared
// Redis deletes all its keys, over several SCAN batches, and no other
// tenant's, even one whose id a glob pattern of the first would match.
func TestInvalidateLeavesOtherTenants(t *testing.T) {
	tok := uniq("")
	a, b, c := "a*"+tok, "ab"+tok, "a?"+tok // "a*" and "a?" as globs would match "ab"
	dropKeys(t, dbShared, tok)
	caches, shared, _ := newShared(t, false)
	raw := rawClient(t, dbShared)
	if err := raw.Set(context.Background(), "bare-"+tok, 1, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	const n = 1200 // more than one SCAN batch
	for _, id := range []string{a, b, c} {
		fill(as(id), t, shared, n)
	}
	deleted, err := caches.Invalidate(as(a), "default")
	if err != nil || deleted != n {
		t.Fatalf("Invalidate = %d, %v; want %d", deleted, err, n)
	}
	for id, want := range map[string]int{a: 0, b: n, c: n} {
		if got := count(as(id), t, shared); got != want {
			t.Errorf("tenant %q has %d keys, want %d", id, got, want)
		}
	}
	if raw.Exists(context.Background(), "bare-"+tok).Val() != 1 {
		t.Error("a key of no tenant was deleted")
	}
	if err := shared.Get(as(b), "page:7").Err(); err != nil {
		t.Errorf("tenant %q reads its key: %v", b, err)
	}
}

// TestInvalidateRefusals: without a tenant nothing is sent; a template
// alias and a client Invalidate cannot walk are refused.
func TestInvalidateRefusals(t *testing.T) {
	caches, shared, cnt := newShared(t, false)
	if _, err := caches.Invalidate(context.Background(), "default"); !errors.Is(err, tenant.ErrMissing) {
		t.Fatalf("no tenant: %v", err)
	}
	if _, err := cacheaware.Invalidate(context.Background(), shared); !errors.Is(err, tenant.ErrMissing) {
		t.Fatalf("no tenant: %v", err)
	}
	if cnt.cmds.Load() != 0 || cnt.dials.Load() != 0 {
		t.Fatal("Invalidate without a tenant reached Redis")
	}
	if _, err := caches.Invalidate(as("x"), "tenant-own"); !errors.Is(err, cacheaware.ErrNotShared) {
		t.Fatalf("template alias: %v", err)
	}
	type wrapped struct{ redis.UniversalClient }
	if _, err := cacheaware.Invalidate(as("x"), wrapped{shared}); !errors.Is(err, cacheaware.ErrUnsupportedClient) {
		t.Fatalf("wrapped client: %v", err)
	}
}

// TestSharedCluster: on a Redis Cluster, the hook's prefixed keys find
// their slots, two tenants never see each other's keys, and invalidating
// one deletes its keys from every master and nothing else.
func TestSharedCluster(t *testing.T) {
	topo := testenv.Cluster(t, testenv.Shared)
	cl, err := redisurl.NewClient(topo.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	caches := newCaches(t, cacheaware.Config{Shared: map[string]redis.UniversalClient{"default": cl}})
	a, b := uniq("cl-a"), uniq("cl-b")
	const n = 300 // spread over the three masters
	for _, id := range []string{a, b} {
		shared := mustClient(as(id), t, caches, "default")
		for i := range n {
			if err := shared.Set(as(id), fmt.Sprintf("page:%d", i), id, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(func() {
		for _, id := range []string{a, b} {
			_, _ = caches.Invalidate(as(id), "default")
		}
	})
	for _, id := range []string{a, b} {
		if got := cl.Get(as(id), "page:42").Val(); got != id {
			t.Fatalf("tenant %s reads %q", id, got)
		}
	}
	// A Cluster's Watch runs on a node client, which the hooks of the
	// Cluster client do not reach: the client of Caches confines it.
	for _, id := range []string{a, b} {
		ctx := as(id)
		shared := mustClient(ctx, t, caches, "default")
		err := shared.Watch(ctx, func(tx *redis.Tx) error {
			v, err := tx.Get(ctx, "page:1").Result()
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "page:1", v+"+watched", time.Minute)
				return nil
			})
			return err
		}, "page:1")
		if err != nil {
			t.Fatalf("tenant %s: Watch: %v", id, err)
		}
	}
	for _, id := range []string{a, b} {
		if got := cl.Get(as(id), "page:1").Val(); got != id+"+watched" {
			t.Fatalf("tenant %s reads %q after its Watch", id, got)
		}
	}
	deleted, err := caches.Invalidate(as(a), "default")
	if err != nil || deleted != n {
		t.Fatalf("Invalidate = %d, %v; want %d", deleted, err, n)
	}
	if got := count(as(a), t, cl); got != 0 {
		t.Fatalf("tenant a has %d keys left", got)
	}
	if got := count(as(b), t, cl); got != n {
		t.Fatalf("tenant b has %d keys, want %d", got, n)
	}
}
