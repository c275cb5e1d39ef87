package cacheaware

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// scanBatch is the COUNT of each SCAN of Invalidate, and so the most
// keys one UNLINK pipeline removes.
const scanBatch = 500

// Invalidate deletes every key of the tenant in ctx from the shared
// cache of alias: see the package function [Invalidate]. For a template
// or reserved alias it returns [ErrNotShared]: a tenant's own cache holds
// only its keys, and a reserved one no tenant's.
func (c *Caches) Invalidate(ctx context.Context, alias string) (int64, error) {
	if c.closed.Load() {
		return 0, ErrClosed
	}
	cl, ok := c.cfg.Shared[alias]
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrNotShared, alias)
	}
	return Invalidate(ctx, cl)
}

// Invalidate deletes every key of the tenant in ctx (every key under its
// [Prefix]) from a Redis shared by tenants, and returns how many it
// deleted. It never runs KEYS: it walks the keyspace with SCAN MATCH
// on the tenant's prefix, in batches, and removes each batch with
// UNLINK (freed in the background), on every master of a Cluster and
// every shard of a Ring. Other tenants' keys are never named. The
// client may carry a [PrefixHook] or not: the commands name the
// tenant's keys in full either way.
//
// Why SCAN rather than a version in the prefix bumped on invalidation:
// a version must be read from Redis by every command of every instance
// (or cached, and then stale across instances), and the old keys stay
// in memory until they expire; SCAN costs nothing per command and frees
// the memory now. Its cost is a walk of the whole keyspace (every
// tenant's keys), in batches that do not block Redis. Keys written while
// it runs may survive it: it is not a barrier.
//
// Without a tenant in ctx it returns an error wrapping
// [tenant.ErrMissing] and sends nothing; for a client other than a
// *redis.Client (single node or Sentinel), *redis.ClusterClient or
// *redis.Ring, [ErrUnsupportedClient].
func Invalidate(ctx context.Context, client redis.UniversalClient) (int64, error) {
	prefix, err := Prefix(ctx)
	if err != nil {
		return 0, fmt.Errorf("cacheaware: invalidate: %w", err)
	}
	ctx = context.WithValue(ctx, verifyKey{}, true)
	pattern := escapeGlob(prefix) + "*"
	if w, ok := client.(*nodeWatch); ok {
		client = w.UniversalClient
	}
	var deleted atomic.Int64
	node := func(ctx context.Context, cl *redis.Client) error {
		n, err := invalidateNode(ctx, cl, pattern)
		deleted.Add(n)
		return err
	}
	switch cl := client.(type) {
	case *redis.ClusterClient:
		err = cl.ForEachMaster(ctx, node)
	case *redis.Ring:
		err = cl.ForEachShard(ctx, node)
	case *redis.Client:
		err = node(ctx, cl)
	default:
		return 0, fmt.Errorf("%w: %T", ErrUnsupportedClient, client)
	}
	if err != nil {
		return deleted.Load(), fmt.Errorf("cacheaware: invalidate: %w", err)
	}
	return deleted.Load(), nil
}

// invalidateNode deletes the keys matching pattern from one node.
func invalidateNode(ctx context.Context, cl *redis.Client, pattern string) (int64, error) {
	var deleted int64
	var cursor uint64
	for {
		keys, next, err := cl.Scan(ctx, cursor, pattern, scanBatch).Result()
		if err != nil {
			return deleted, err
		}
		if len(keys) > 0 {
			// One UNLINK per key: a node of a Cluster holds keys of many
			// slots, which one multi-key command may not mix.
			cmds, err := cl.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, k := range keys {
					p.Unlink(ctx, k)
				}
				return nil
			})
			for _, cmd := range cmds {
				if n, cerr := cmd.(*redis.IntCmd).Result(); cerr == nil {
					deleted += n
				}
			}
			if err != nil {
				return deleted, err
			}
		}
		if next == 0 {
			return deleted, nil
		}
		cursor = next
	}
}
