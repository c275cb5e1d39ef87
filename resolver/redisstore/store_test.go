package redisstore_test

import (
	"context"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/redisstore"
	"github.com/tenantrouter/tenantplugin/resolver/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var services = 0

// newStore returns a store on its own service name, so that tests
// sharing one Redis do not meet.
func newStore(t *testing.T, client redis.UniversalClient) resolver.Store {
	t.Helper()
	services++
	s, err := redisstore.New(client, t.Name()+"-"+string(rune('a'+services%26)), redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceMiniredis(t *testing.T) {
	storetest.Run(t, func(t *testing.T) resolver.Store {
		mr := miniredis.RunT(t)
		client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { _ = client.Close() })
		return newStore(t, client)
	})
}

func TestConformanceRedis(t *testing.T) {
	url := testenv.RedisURL(t)
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	defer client.Close()
	if err := client.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T) resolver.Store { return newStore(t, client) })
}
