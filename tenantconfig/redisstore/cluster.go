package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/redis/go-redis/v9"
)

// reloader is a client with a slot map it can be asked to reload: a
// *redis.ClusterClient (also what redis.NewFailoverClusterClient returns).
type reloader interface {
	ReloadState(ctx context.Context)
}

// failed wraps err for op and, when err says the connection failed, asks
// a Cluster client to reload its slot map at once: go-redis reloads it by
// itself only on MOVED or ASK replies, or every
// ClusterStateReloadInterval, and a dead master sends neither.
func (s *Store) failed(ctx context.Context, op string, err error) error {
	s.noteError(ctx, err)
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

// noteError asks a Cluster client to reload its slot map when err is a
// network error. The reload runs in the background, and go-redis runs one
// at a time.
func (s *Store) noteError(ctx context.Context, err error) {
	if s.reload != nil && ctx.Err() == nil && networkError(err) {
		s.reload(ctx)
	}
}

// networkError reports whether err says a connection failed: refused,
// reset, closed, timed out or ended.
func networkError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// subscribe subscribes to the store's channel and to health, the
// watcher's own probe channel, on one connection. A Cluster client that
// reads from replicas would subscribe on a replica: the subscription goes
// to the master of the store's slot instead, where the announcements are
// published (a replica cut off from its master receives nothing).
func (s *Store) subscribe(ctx context.Context, health string) *redis.PubSub {
	if cc, ok := s.client.(*redis.ClusterClient); ok && cc.Options().ReadOnly {
		if master, err := cc.MasterForKey(ctx, s.configs); err == nil {
			return master.Subscribe(ctx, s.channel, health)
		}
		// No slot map: the cluster client subscribes wherever it can, and
		// the probes tell whether announcements arrive there.
	}
	return s.client.Subscribe(ctx, s.channel, health)
}
