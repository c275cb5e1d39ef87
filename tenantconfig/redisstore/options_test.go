package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/storetest"
)

// TestNewRefusesBadOptions: New returns the first bad option's error,
// naming it, and no store.
func TestNewRefusesBadOptions(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	defer client.Close()
	tests := []struct {
		name string
		opt  redisstore.Option
		want string
	}{
		{"empty prefix", redisstore.WithPrefix(""), `redisstore: WithPrefix(""): empty, or holds a brace`},
		{"brace in prefix", redisstore.WithPrefix("a}b"), `redisstore: WithPrefix("a}b"): empty, or holds a brace`},
		{"nil codec", redisstore.WithCodec(nil), "redisstore: WithCodec(nil): nil codec"},
		{"negative ping interval", redisstore.WithPingInterval(-2 * time.Second), "redisstore: WithPingInterval(-2s): negative interval"},
		{"negative timeout", redisstore.WithTimeout(-2 * time.Second), "redisstore: WithTimeout(-2s): negative timeout"},
		{"nil logger", redisstore.WithLogger(nil), "redisstore: WithLogger(nil): nil logger"},
		{"nil option", nil, "redisstore: option 1 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A good option first, a second bad one last: the error names
			// the first bad one.
			s, err := redisstore.New(client, "svc", redisstore.WithPrefix("p"), tt.opt, redisstore.WithCodec(nil))
			if s != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, %v; want no store and an error containing %q", s, err, tt.want)
			}
		})
	}
}

// TestOptionsApplied: the prefix names the keys, and 0 and -1 ping
// intervals are accepted; with pings off, announcements still arrive.
func TestOptionsApplied(t *testing.T) {
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer client.Close()
	ctx := context.Background()

	s, err := redisstore.New(client, "svc", redisstore.WithPrefix("shop"), redisstore.WithPingInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "a", Config: storetest.Config("a")}); err != nil {
		t.Fatal(err)
	}
	if !mr.Exists("{shop:svc}:configs") || mr.Exists("{"+redisstore.DefaultPrefix+":svc}:configs") {
		t.Fatalf("keys %v, want them under the prefix shop", mr.Keys())
	}

	quiet, err := redisstore.New(client, "svc", redisstore.WithPrefix("shop"), redisstore.WithPingInterval(-1),
		redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan tenantconfig.Event, 1)
	stop, err := quiet.Watch(ctx, func(e tenantconfig.Event) { events <- e }, func() {})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	vs, err := s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "a"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e != (tenantconfig.Event{Tenant: "a", Version: vs[0], Deleted: true}) {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no announcement with pings off")
	}
}
