package cacheaware_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/cacheaware"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// newShared returns a Caches whose "default" alias is one Redis for all
// tenants, that Redis's client, and a counter of what reaches Redis
// through the client after the PrefixHook.
func newShared(t *testing.T, allowScripts bool) (*cacheaware.Caches, *redis.Client, *counter) {
	t.Helper()
	shared := sharedClient(t, dbShared)
	c := newCaches(t, cacheaware.Config{
		Shared:       map[string]redis.UniversalClient{"default": shared},
		AllowScripts: allowScripts,
	})
	cnt := &counter{}
	shared.AddHook(cnt) // after the PrefixHook: sees only what it lets through
	return c, shared, cnt
}

// prefixOf returns the key prefix of tenant id.
func prefixOf(t *testing.T, id string) string {
	t.Helper()
	p, err := cacheaware.Prefix(as(id))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSharedTenantsNeverSeeEachOthersKeys: two tenants run the same
// commands with the same key names on one shared Redis: each reads only
// its own values, every key in Redis carries its tenant's prefix, and
// the keys replies name come back without it.
func TestSharedTenantsNeverSeeEachOthersKeys(t *testing.T) {
	a, b, tok := uniq("sh-a"), uniq("sh-b"), uniq("names")
	dropKeys(t, dbShared, a, b, tok)
	c, _, _ := newShared(t, false)
	raw := rawClient(t, dbShared)
	// The key names are the run's own, so that a bare one is this run's.
	key := func(name string) string { return name + "-" + tok }

	write := func(id string) {
		t.Helper()
		ctx := as(id)
		cl := mustClient(ctx, t, c, "default")
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("tenant %s: %v", id, err)
			}
		}
		must(cl.Set(ctx, key("k"), "v-"+id, time.Minute).Err())
		must(cl.MSet(ctx, key("m1"), "1-"+id, key("m2"), "2-"+id).Err())
		must(cl.HSet(ctx, key("h"), "f", id).Err())
		must(cl.ZAdd(ctx, key("z1"), redis.Z{Score: 1, Member: id}).Err())
		must(cl.ZAdd(ctx, key("z2"), redis.Z{Score: 2, Member: id + "-2"}).Err())
		must(cl.ZUnionStore(ctx, key("zu"), &redis.ZStore{Keys: []string{key("z1"), key("z2")}}).Err())
		must(cl.RPush(ctx, key("l"), "x-"+id).Err())
		must(cl.RPush(ctx, key("l2"), "y-"+id).Err())
		must(cl.ZAdd(ctx, key("zpop"), redis.Z{Score: 1, Member: id}).Err())
		must(cl.Set(ctx, key("old"), id, time.Minute).Err())
		must(cl.Rename(ctx, key("old"), key("renamed")).Err())
		_, err := cl.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key("p"), "pipe-"+id, time.Minute)
			p.Incr(ctx, key("n"))
			return nil
		})
		must(err)
		_, err = cl.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key("tx"), "tx-"+id, time.Minute)
			return nil
		})
		must(err)
		must(cl.Watch(ctx, func(tx *redis.Tx) error {
			v, err := tx.Get(ctx, key("k")).Result()
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key("watched"), v, time.Minute)
				return nil
			})
			return err
		}, key("k")))
	}
	write(a)
	write(b)

	for _, id := range []string{a, b} {
		ctx := as(id)
		cl := mustClient(ctx, t, c, "default")
		checks := []struct {
			what      string
			got, want any
		}{
			{"GET k", cl.Get(ctx, key("k")).Val(), "v-" + id},
			{"MGET", cl.MGet(ctx, key("m1"), key("m2")).Val(), []any{"1-" + id, "2-" + id}},
			{"HGET", cl.HGet(ctx, key("h"), "f").Val(), id},
			{"ZRANGE zu", cl.ZRange(ctx, key("zu"), 0, -1).Val(), []string{id, id + "-2"}},
			{"GET renamed", cl.Get(ctx, key("renamed")).Val(), id},
			{"GET p", cl.Get(ctx, key("p")).Val(), "pipe-" + id},
			{"GET n", cl.Get(ctx, key("n")).Val(), "1"},
			{"GET tx", cl.Get(ctx, key("tx")).Val(), "tx-" + id},
			{"GET watched", cl.Get(ctx, key("watched")).Val(), "v-" + id},
			{"EXISTS", cl.Exists(ctx, key("k"), key("h"), key("nope")).Val(), int64(2)},
			{"BLPOP", cl.BLPop(ctx, time.Second, key("empty-list"), key("l")).Val(), []string{key("l"), "x-" + id}},
			{"BLPOP by Do", cl.Do(ctx, "blpop", key("empty-list"), key("l2"), 1).Val(), []any{key("l2"), "y-" + id}},
			{"BZPOPMIN", cl.BZPopMin(ctx, time.Second, key("empty-z"), key("zpop")).Val().Key, key("zpop")},
			{"raw GET", raw.Get(context.Background(), prefixOf(t, id)+key("k")).Val(), "v-" + id},
		}
		for _, ch := range checks {
			if fmt.Sprint(ch.got) != fmt.Sprint(ch.want) {
				t.Errorf("tenant %s: %s = %v, want %v", id, ch.what, ch.got, ch.want)
			}
		}
		// SCAN sees the tenant's keys only, named as the application
		// named them.
		var keys []string
		iter := cl.Scan(ctx, 0, "*", 3).Iterator() // several pages: each is prefixed once
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		sort.Strings(keys)
		want := []string{key("h"), key("k"), key("m1"), key("m2"), key("n"), key("p"), key("renamed"), key("tx"), key("watched"), key("z1"), key("z2"), key("zu")}
		if !slices.Equal(keys, want) {
			t.Errorf("tenant %s: SCAN = %v, want %v", id, keys, want)
		}
		// The same through Do, whose reply is read as interfaces.
		keys = keys[:0]
		for cursor := any(0); ; {
			reply, err := cl.Do(ctx, "scan", cursor, "match", "*", "count", 5).Slice()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range reply[1].([]any) {
				keys = append(keys, k.(string))
			}
			if cursor = reply[0]; cursor == "0" {
				break
			}
		}
		sort.Strings(keys)
		if !slices.Equal(keys, want) {
			t.Errorf("tenant %s: SCAN by Do = %v, want %v", id, keys, want)
		}
	}

	// Every key in Redis that names a tenant carries its prefix; none is
	// bare.
	for _, id := range []string{a, b} {
		n := 0
		iter := raw.Scan(context.Background(), 0, "*"+id+"*", 1000).Iterator()
		for iter.Next(context.Background()) {
			if !strings.HasPrefix(iter.Val(), prefixOf(t, id)) {
				t.Errorf("key %q is not under %s's prefix", iter.Val(), id)
			}
			n++
		}
		if n != 12 {
			t.Errorf("%d keys under %s's prefix, want 12", n, id)
		}
	}
	for _, bare := range []string{key("k"), key("h"), key("zu"), key("renamed")} {
		if raw.Exists(context.Background(), bare).Val() != 0 {
			t.Errorf("an unprefixed key %q exists", bare)
		}
	}
}

// TestSharedScanIteratorOfAField: HSCAN's iterator processes its
// command again for each page: the key is prefixed once each time.
func TestSharedScanIteratorOfAField(t *testing.T) {
	a := uniq("hscan")
	dropKeys(t, dbShared, a)
	c, _, _ := newShared(t, false)
	ctx := as(a)
	cl := mustClient(ctx, t, c, "default")
	for i := range 50 {
		cl.HSet(ctx, "big", fmt.Sprintf("f%02d", i), i)
	}
	n := 0
	iter := cl.HScan(ctx, "big", 0, "*", 5).Iterator()
	for iter.Next(ctx) {
		n++
	}
	if err := iter.Err(); err != nil || n != 100 { // fields and values
		t.Fatalf("HSCAN iterated %d items, %v; want 100", n, err)
	}
}

// TestSharedRefusesWithoutTenant: without a valid tenant in the context
// every command is refused and nothing reaches Redis, not even a dial.
func TestSharedRefusesWithoutTenant(t *testing.T) {
	c, shared, cnt := newShared(t, false)
	k := uniq("bare") // were a command let through, its key would be this
	dropKeys(t, dbShared, k)
	if _, err := c.Client(context.Background(), "default"); !errors.Is(err, tenant.ErrMissing) {
		t.Fatalf("Client without a tenant: %v", err)
	}
	for name, ctx := range map[string]context.Context{
		"no tenant":      context.Background(),
		"invalid tenant": as("a/b"),
	} {
		want := tenant.ErrMissing
		if name == "invalid tenant" {
			want = tenant.ErrInvalidID
		}
		errs := map[string]error{
			"GET":  shared.Get(ctx, k).Err(),
			"SET":  shared.Set(ctx, k, "v", 0).Err(),
			"PING": shared.Ping(ctx).Err(),
			"SCAN": shared.Scan(ctx, 0, "*", 10).Err(),
		}
		_, errs["pipeline"] = shared.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, k, "v", 0)
			return nil
		})
		_, errs["transaction"] = shared.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, k, "v", 0)
			return nil
		})
		errs["invalidate"] = func() error { _, err := c.Invalidate(ctx, "default"); return err }()
		for what, err := range errs {
			if !errors.Is(err, want) {
				t.Errorf("%s: %s = %v, want %v", name, what, err, want)
			}
		}
	}
	if d, n := cnt.dials.Load(), cnt.cmds.Load(); d != 0 || n != 0 {
		t.Fatalf("%d dials and %d commands reached Redis without a tenant", d, n)
	}
}

// TestSharedRefusedCommands: commands whose keys cannot be confined to
// the tenant are refused with ErrRefused and never sent; a pipeline
// holding one is refused whole.
func TestSharedRefusedCommands(t *testing.T) {
	a := uniq("refused")
	dropKeys(t, dbShared, a)
	c, shared, cnt := newShared(t, false)
	ctx := as(a)
	tests := []struct {
		name string
		run  func() error
	}{
		{"KEYS", func() error { return shared.Keys(ctx, "*").Err() }},
		{"FLUSHDB", func() error { return shared.FlushDB(ctx).Err() }},
		{"FLUSHALL", func() error { return shared.FlushAll(ctx).Err() }},
		{"DBSIZE", func() error { return shared.DBSize(ctx).Err() }},
		{"RANDOMKEY", func() error { return shared.RandomKey(ctx).Err() }},
		{"SWAPDB", func() error { return shared.Do(ctx, "swapdb", 0, 1).Err() }},
		{"SCAN without MATCH", func() error { return shared.Scan(ctx, 0, "", 10).Err() }},
		{"SCAN with two MATCH", func() error { return shared.Do(ctx, "scan", 0, "match", "*", "match", "x").Err() }},
		{"SORT", func() error { return shared.Sort(ctx, "l", &redis.Sort{By: "w_*", Get: []string{"o_*"}}).Err() }},
		{"GEORADIUS STORE", func() error {
			return shared.GeoRadiusStore(ctx, "g", 0, 0, &redis.GeoRadiusQuery{Radius: 1, Store: "out"}).Err()
		}},
		{"MIGRATE", func() error { return shared.Migrate(ctx, "h", "1", "k", 0, time.Second).Err() }},
		{"XREAD", func() error { return shared.XRead(ctx, &redis.XReadArgs{Streams: []string{"s", "0"}}).Err() }},
		{"PUBLISH", func() error { return shared.Publish(ctx, "ch", "m").Err() }},
		{"EVAL", func() error { return shared.Eval(ctx, "return 1", []string{"k"}).Err() }},
		{"EVALSHA", func() error { return shared.EvalSha(ctx, "abc", []string{"k"}).Err() }},
		{"FCALL", func() error { return shared.FCall(ctx, "f", []string{"k"}).Err() }},
		{"SCRIPT LOAD", func() error { return shared.ScriptLoad(ctx, "return 1").Err() }},
		{"CONFIG SET", func() error { return shared.ConfigSet(ctx, "maxmemory", "0").Err() }},
		{"OBJECT HELP", func() error { return shared.Do(ctx, "object", "help").Err() }},
		{"an unknown command", func() error { return shared.Do(ctx, "frobnicate", "k").Err() }},
		{"a pipe in a name", func() error { return shared.Do(ctx, "object|encoding", "x", "k").Err() }},
		{"a number as key", func() error { return shared.Do(ctx, "get", 42).Err() }},
		{"no key", func() error { return shared.Do(ctx, "mget").Err() }},
		{"a bad key count", func() error { return shared.Do(ctx, "zunionstore", "d", 5, "a").Err() }},
		{"a negative key count", func() error { return shared.Do(ctx, "zinter", -1, "a").Err() }},
		{"BLPOP read as a string", func() error { return shared.Process(ctx, redis.NewStringCmd(ctx, "blpop", "l", 1)) }},
		{"a pipeline holding KEYS", func() error {
			_, err := shared.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "in-pipe", "v", time.Minute)
				p.Keys(ctx, "*")
				return nil
			})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := cnt.cmds.Load()
			if err := tt.run(); !errors.Is(err, cacheaware.ErrRefused) {
				t.Fatalf("err = %v, want ErrRefused", err)
			}
			if n := cnt.cmds.Load() - before; n != 0 {
				t.Fatalf("%d commands reached Redis", n)
			}
		})
	}
	if err := mustClient(ctx, t, c, "default").Get(ctx, "in-pipe").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("the SET of a refused pipeline ran: %v", err)
	}
}

// TestSharedScripts: with AllowScripts, a script's declared keys are the
// tenant's.
func TestSharedScripts(t *testing.T) {
	a, b := uniq("script-a"), uniq("script-b")
	dropKeys(t, dbShared, a, b)
	c, _, _ := newShared(t, true)
	get := redis.NewScript(`return redis.call('GET', KEYS[1])`)
	for _, id := range []string{a, b} {
		ctx := as(id)
		cl := mustClient(ctx, t, c, "default")
		if err := cl.Set(ctx, "k", id, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{a, b} {
		ctx := as(id)
		cl := mustClient(ctx, t, c, "default")
		if got, err := get.Run(ctx, cl, []string{"k"}).Result(); err != nil || got != id {
			t.Fatalf("tenant %s: script read %v, %v", id, got, err)
		}
	}
}

// TestPrefixHookAlone: the hook works on any client, without Caches.
func TestPrefixHookAlone(t *testing.T) {
	a := uniq("alone")
	dropKeys(t, dbShared, a)
	cl := sharedClient(t, dbShared)
	cl.AddHook(cacheaware.PrefixHook{})
	ctx := as(a)
	if err := cl.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got := rawClient(t, dbShared).Get(ctx, prefixOf(t, a)+"k").Val(); got != "v" {
		t.Fatalf("the prefixed key holds %q", got)
	}
	if err := cl.Get(context.Background(), "k").Err(); !errors.Is(err, tenant.ErrMissing) {
		t.Fatalf("GET without a tenant: %v", err)
	}
}
