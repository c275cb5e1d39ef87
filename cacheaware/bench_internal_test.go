package cacheaware

import (
	"context"
	"log/slog"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// BenchmarkPrefixHook measures what the hook adds to one command, the
// network aside: a GET and an MSET of two keys, against a next that
// does nothing, and a command refused without a tenant.
func BenchmarkPrefixHook(b *testing.B) {
	ctx := tenant.NewContext(context.Background(), "tenant-1.example.com")
	noop := func(context.Context, redis.Cmder) error { return nil }
	hook := PrefixHook{}.ProcessHook(noop)
	b.Run("GET", func(b *testing.B) {
		cmd := redis.NewStringCmd(ctx, "get", "patients:page:1")
		b.ReportAllocs()
		for b.Loop() {
			if err := hook(ctx, cmd); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("MSET2", func(b *testing.B) {
		cmd := redis.NewStatusCmd(ctx, "mset", "a", "1", "b", "2")
		b.ReportAllocs()
		for b.Loop() {
			if err := hook(ctx, cmd); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("no tenant", func(b *testing.B) {
		cmd := redis.NewStringCmd(ctx, "get", "k")
		b.ReportAllocs()
		for b.Loop() {
			if err := hook(context.Background(), cmd); err == nil {
				b.Fatal("no error")
			}
		}
	})
}

// BenchmarkClient measures Caches.Client for a tenant whose client is
// open, and for a shared alias.
func BenchmarkClient(b *testing.B) {
	shared := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer shared.Close()
	c, err := New(Config{Shared: map[string]redis.UniversalClient{"shared": shared}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := tenant.NewContext(context.Background(), "tenant-1.example.com")
	if err := c.Set(ctx, "tenant-1.example.com", tenantCaches("default", "redis://127.0.0.1:1/0")); err != nil {
		b.Fatal(err)
	}
	for _, alias := range []string{"default", "shared"} {
		b.Run(alias, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Client(ctx, alias); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
