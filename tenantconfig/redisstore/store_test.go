package redisstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newStore returns a store on a service name of its own, so that tests
// sharing one Redis, in this run or an earlier one, do not meet.
func newStore(t *testing.T, client redis.UniversalClient) tenantconfig.Store {
	t.Helper()
	service := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
	s, err := redisstore.New(client, service, redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceMiniredis(t *testing.T) {
	storetest.Run(t, func(t *testing.T) tenantconfig.Store {
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
	storetest.Run(t, func(t *testing.T) tenantconfig.Store { return newStore(t, client) })
}
