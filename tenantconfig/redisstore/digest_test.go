package redisstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/storetest"
)

// digestClients runs f on miniredis and on the Redis of the test
// environment.
func digestClients(t *testing.T, f func(t *testing.T, client redis.UniversalClient)) {
	t.Run("miniredis", func(t *testing.T) {
		mr := miniredis.RunT(t)
		client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { _ = client.Close() })
		f(t, client)
	})
	t.Run("redis", func(t *testing.T) {
		opts, err := redis.ParseURL(testenv.RedisURL(t))
		if err != nil {
			t.Fatal(err)
		}
		client := redis.NewClient(opts)
		t.Cleanup(func() { _ = client.Close() })
		f(t, client)
	})
}

// olderStore returns a store and the keys of its service, on a service
// name of its own.
func olderStore(t *testing.T, client redis.UniversalClient) (*redisstore.Store, string) {
	t.Helper()
	service := fmt.Sprintf("digest-%d", time.Now().UnixNano())
	s, err := redisstore.New(client, service, redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	return s, "{tenantplugin:" + service + "}"
}

// writeAsOlder changes a tenant as a version of the store without the
// digest did: the configs, the versions and the revision only.
func writeAsOlder(t *testing.T, client redis.UniversalClient, tag, id, name string) {
	t.Helper()
	ctx := context.Background()
	data, err := json.Marshal(storetest.Config(name))
	if err != nil {
		t.Fatal(err)
	}
	v, err := client.Incr(ctx, tag+":revision").Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := client.HSet(ctx, tag+":configs", id, data).Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.HSet(ctx, tag+":versions", id, v).Err(); err != nil {
		t.Fatal(err)
	}
}

// sumsXor reads every record and returns the XOR of their Sums.
func sumsXor(t *testing.T, s *redisstore.Store) tenantconfig.Sum {
	t.Helper()
	ctx := context.Background()
	ids, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := s.Records(ctx, ids)
	if err != nil || len(recs) != len(ids) {
		t.Fatalf("Records = %d of %d, %v", len(recs), len(ids), err)
	}
	var x tenantconfig.Sum
	for _, r := range recs {
		x = x.Xor(r.Sum)
	}
	return x
}

// TestDigestOfAnOlderStore: a store written by a version without the
// digest (no digest key, no Sums) gets its digest computed on the first
// read; one changed since by such a version (its revision moved, not
// the digest) gets it computed again. Either way the digest is the XOR
// of the records' Sums, and Apply keeps it so afterwards.
func TestDigestOfAnOlderStore(t *testing.T) {
	digestClients(t, func(t *testing.T, client redis.UniversalClient) {
		ctx := context.Background()
		s, tag := olderStore(t, client)
		for i := range 5 {
			writeAsOlder(t, client, tag, fmt.Sprint("t", i), fmt.Sprint("db", i))
		}
		check := func(when string) tenantconfig.Digest {
			t.Helper()
			d, err := s.Digest(ctx)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if want := sumsXor(t, s); d.Sum != want || d.Sum == (tenantconfig.Sum{}) {
				t.Fatalf("%s: digest %v, XOR of the Sums %v", when, d.Sum, want)
			}
			return d
		}
		first := check("never computed")
		if rev, _ := s.Revision(ctx); first.Revision != rev || first.Tenants != 5 {
			t.Fatalf("digest %+v, revision %d", first, rev)
		}
		if _, err := s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "t1", Config: storetest.Config("new")}); err != nil {
			t.Fatal(err)
		}
		second := check("after an Apply")
		// An older writer changes t2: the digest is stale, then computed
		// again.
		writeAsOlder(t, client, tag, "t2", "older")
		third := check("after an older writer")
		if second.Sum == third.Sum || third.Revision != second.Revision+1 {
			t.Fatalf("the older writer's change is not in the digest: %+v then %+v", second, third)
		}
		if _, err := s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "t3"}); err != nil {
			t.Fatal(err)
		}
		check("after a removal")
	})
}
