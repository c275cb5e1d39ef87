package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/redisurl"
)

// RedisService returns a client of the test Redis server and a service
// name of prefix and random hex, so that tests sharing the server do not
// see each other's keys. When the test ends, every key whose name holds
// the service name and the service's asynq queue are deleted, and the
// client is closed.
func RedisService(tb testing.TB, prefix string) (redis.UniversalClient, string) {
	tb.Helper()
	url := RedisURL(tb)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	service := prefix + hex.EncodeToString(b)
	rdb, err := redisurl.NewClient(url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, "*"+service+"*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		rdb.SRem(ctx, "asynq:queues", service)
		_ = rdb.Close()
	})
	return rdb, service
}
