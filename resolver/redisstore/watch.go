package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/resolver"
)

const (
	// receiveTimeout bounds one wait for a message; on expiry the watcher
	// pings, so that a dead connection is noticed and replaced.
	receiveTimeout = 5 * time.Second
	// maxBackoff caps the pause between reconnection attempts: it bounds
	// how long after Redis returns the watcher resyncs.
	maxBackoff = 200 * time.Millisecond
	// subscribeTimeout bounds the wait for the first subscription
	// confirmation when ctx has no deadline.
	subscribeTimeout = 10 * time.Second
)

// Watch implements resolver.Watcher. It returns once Redis has confirmed
// the subscription. After a lost connection go-redis reconnects and
// subscribes again; every confirmation after the first calls resync,
// since announcements made in between are lost.
func (s *Store) Watch(ctx context.Context, events func(resolver.Event), resync func()) (func(), error) {
	ps := s.client.Subscribe(ctx, s.channel)
	// Wait for the confirmation no longer than ctx allows (a server that
	// accepts and never answers must not hang the caller).
	wait := subscribeTimeout
	if d, ok := ctx.Deadline(); ok {
		wait = max(time.Until(d), time.Millisecond)
	}
	unblock := context.AfterFunc(ctx, func() { _ = ps.Close() })
	msg, err := ps.ReceiveTimeout(ctx, wait)
	unblock()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		_ = ps.Close()
		return nil, fmt.Errorf("redisstore: subscribe %s: %w", s.channel, err)
	}
	if _, ok := msg.(*redis.Subscription); !ok {
		_ = ps.Close()
		return nil, fmt.Errorf("redisstore: subscribe %s: unexpected reply %T", s.channel, msg)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.receive(ctx, ps, events, resync)
	}()
	stop := func() {
		cancel()
		_ = ps.Close() // unblocks Receive
		<-done
	}
	return stop, nil
}

func (s *Store) receive(ctx context.Context, ps *redis.PubSub, events func(resolver.Event), resync func()) {
	backoff := 10 * time.Millisecond
	lost := false
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, receiveTimeout)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if perr := ps.Ping(ctx); perr == nil {
					continue
				}
			}
			if !lost {
				s.log.LogAttrs(ctx, slog.LevelWarn, "tenant announcements lost, reconnecting",
					slog.String("service", s.service), slog.String("error", err.Error()))
			}
			lost = true
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, maxBackoff)
			continue
		}
		backoff = 10 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				s.log.LogAttrs(ctx, slog.LevelInfo, "tenant announcements resubscribed, resyncing",
					slog.String("service", s.service))
				lost = false
				resync()
			}
		case *redis.Message:
			e, err := parseMessage(m.Payload)
			if err != nil {
				s.log.LogAttrs(ctx, slog.LevelWarn, "ignored announcement", slog.String("error", err.Error()))
				resync()
				continue
			}
			events(e)
		case *redis.Pong:
		}
	}
}
