package redisstore

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// probe publishes a nonce on the watcher's probe channel the way Apply
// publishes announcements: in a script, on the master of the store's
// slot. The DEL of a key that never exists changes nothing and is not
// replicated, but it is a write: a node that is no longer a master
// (a demoted Sentinel master the client still talks to) refuses the
// script with READONLY instead of publishing there, so a nonce that comes
// back proves that announcements of changes reach the subscription.
var probe = redis.NewScript(`
redis.call('DEL', KEYS[1])
return redis.call('PUBLISH', ARGV[1], ARGV[2])
`)

// publishProbe publishes nonce n on channel, within one ping interval
// (when the client honours context deadlines: ContextTimeoutEnabled).
func (s *Store) publishProbe(ctx context.Context, channel string, n uint64) error {
	pctx, cancel := context.WithTimeout(ctx, s.pingInterval)
	defer cancel()
	err := probe.Run(pctx, s.client, []string{s.probe}, channel, strconv.FormatUint(n, 10)).Err()
	if err != nil {
		s.noteError(ctx, err)
	}
	return err
}
