package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

const (
	// maxBackoff caps the pause between reconnection attempts: it bounds
	// how long after Redis returns the watcher resyncs.
	maxBackoff = 200 * time.Millisecond
	// subscribeTimeout bounds the wait for the first subscription
	// confirmation when ctx has no deadline.
	subscribeTimeout = 10 * time.Second
)

// Watch implements tenantconfig.Watcher. It returns once Redis has confirmed
// the subscription. After a lost connection go-redis reconnects and
// subscribes again; every confirmation after the first calls resync,
// since announcements made in between are lost.
func (s *Store) Watch(ctx context.Context, events func(tenantconfig.Event), resync func()) (func(), error) {
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
	w := &watch{ps: ps}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.receive(ctx, w, events, resync)
	}()
	stop := func() {
		cancel()
		w.close() // unblocks Receive
		<-done
	}
	return stop, nil
}

// watch holds the current subscription, which the receiving goroutine
// replaces when its connection stops answering.
type watch struct {
	mu sync.Mutex
	ps *redis.PubSub
}

func (w *watch) current() *redis.PubSub {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ps
}

func (w *watch) replace(ps *redis.PubSub) {
	w.mu.Lock()
	old := w.ps
	w.ps = ps
	w.mu.Unlock()
	_ = old.Close()
}

func (w *watch) close() { _ = w.current().Close() }

func (s *Store) receive(ctx context.Context, w *watch, events func(tenantconfig.Event), resync func()) {
	defer w.close() // the subscription current when the watch stops
	backoff := 10 * time.Millisecond
	lost, pinged := false, false
	for ctx.Err() == nil {
		ps := w.current()
		// Without pings, wait as long as it takes (a zero timeout).
		msg, err := ps.ReceiveTimeout(ctx, max(s.pingInterval, 0))
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if !pinged {
					if perr := ps.Ping(ctx); perr == nil {
						pinged = true
						continue
					}
				} else {
					// The last ping got no answer: a half-open connection
					// takes writes and never answers. Subscribe anew; the
					// confirmation brings a resync.
					s.log.LogAttrs(ctx, slog.LevelWarn, "Redis stopped answering, subscribing again",
						slog.String("service", s.service))
					pinged = false
					lost = true
					w.replace(s.client.Subscribe(ctx, s.channel))
					continue
				}
			}
			if !lost {
				s.log.LogAttrs(ctx, slog.LevelWarn, "tenant announcements lost, reconnecting",
					slog.String("service", s.service), slog.String("error", err.Error()))
			}
			lost, pinged = true, false
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, maxBackoff)
			continue
		}
		backoff, pinged = 10*time.Millisecond, false
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
