package cacheaware

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// nodeWatch is a shared Cluster or Ring client as [Caches.Client] hands
// it out. Their Watch runs the transaction on a node client, which the
// hooks added to the Cluster or Ring client never reach: it would watch
// and write bare keys. nodeWatch prefixes the watched keys itself and
// adds the hook to the transaction.
type nodeWatch struct {
	redis.UniversalClient
	hook PrefixHook
}

// Watch runs fn in a transaction that watches the tenant's keys, with
// every command of fn confined to the tenant in ctx.
func (c *nodeWatch) Watch(ctx context.Context, fn func(*redis.Tx) error, keys ...string) error {
	p, err := Prefix(ctx)
	if err != nil {
		return fmt.Errorf("cacheaware: watch: %w", err)
	}
	prefixed := make([]string, len(keys))
	for i, k := range keys {
		prefixed[i] = p + k
	}
	return c.UniversalClient.Watch(ctx, func(tx *redis.Tx) error {
		tx.AddHook(c.hook)
		return fn(tx)
	}, prefixed...)
}

// sharedClient returns cl with the hook added, as Client hands it out.
func sharedClient(cl redis.UniversalClient, hook PrefixHook) redis.UniversalClient {
	cl.AddHook(hook)
	switch cl.(type) {
	case *redis.ClusterClient, *redis.Ring:
		return &nodeWatch{UniversalClient: cl, hook: hook}
	}
	return cl
}
