package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
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
//
// Every ping interval the watcher also publishes a nonce of its own
// through the client, as Apply publishes (see probe), on a channel of its
// own in the store's slot; when the nonce has not come back on the
// subscription one interval later, it subscribes again on a new
// connection, which brings a resync. A subscription that answers PING but
// receives nothing (a half-open connection, a master demoted by a
// Sentinel failover, a replica cut off) is so replaced within two
// intervals.
func (s *Store) Watch(ctx context.Context, events func(tenantconfig.Event), resync func()) (func(), error) {
	var id [8]byte
	_, _ = rand.Read(id[:]) // never fails
	health := s.probe + ":" + hex.EncodeToString(id[:])
	ps := s.subscribe(ctx, health)
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
		s.noteError(ctx, err)
		return nil, fmt.Errorf("redisstore: subscribe %s: %w", s.channel, err)
	}
	if _, ok := msg.(*redis.Subscription); !ok {
		_ = ps.Close()
		return nil, fmt.Errorf("redisstore: subscribe %s: unexpected reply %T", s.channel, msg)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &watch{ps: ps, health: health}
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
// replaces when announcements stop arriving.
type watch struct {
	health string // the channel of this watch's probes

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

// check is the state of the watcher's health check.
type check struct {
	due       time.Time // when the next probe is published, or the last one judged
	nonce     uint64    // the last nonce published
	waiting   bool      // the last nonce has not come back yet
	confirmed bool      // Redis confirmed the probe channel's subscription
}

func (s *Store) receive(ctx context.Context, w *watch, events func(tenantconfig.Event), resync func()) {
	defer w.close() // the subscription current when the watch stops
	backoff := 10 * time.Millisecond
	lost := false
	checking := s.pingInterval > 0
	c := check{due: time.Now().Add(s.pingInterval)}
	for ctx.Err() == nil {
		if checking && !time.Now().Before(c.due) {
			if c.waiting || !c.confirmed {
				// The subscription did not bring the nonce back within an
				// interval, or was never confirmed: subscribe anew; the
				// confirmation brings a resync.
				if !lost {
					s.log.LogAttrs(ctx, slog.LevelWarn, "tenant announcements stopped arriving, subscribing again",
						slog.String("service", s.service))
				}
				lost = true
				w.replace(s.subscribe(ctx, w.health))
				c = check{due: time.Now().Add(s.pingInterval), nonce: c.nonce}
				continue
			}
			c.nonce++
			if err := s.publishProbe(ctx, w.health, c.nonce); err != nil {
				if ctx.Err() != nil {
					return
				}
				// The client cannot publish (no master now): this proves
				// nothing about the subscription. Try again soon.
				c.due = time.Now().Add(min(s.pingInterval, maxBackoff))
			} else {
				c.waiting = true
				c.due = time.Now().Add(s.pingInterval)
			}
		}
		// Without checks, wait as long as it takes (a zero timeout).
		var wait time.Duration
		if checking {
			wait = max(time.Until(c.due), time.Millisecond)
		}
		msg, err := w.current().ReceiveTimeout(ctx, wait)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue // the check is due
			}
			s.noteError(ctx, err)
			if !lost {
				s.log.LogAttrs(ctx, slog.LevelWarn, "tenant announcements lost, reconnecting",
					slog.String("service", s.service), slog.String("error", err.Error()))
			}
			lost, c.waiting, c.confirmed = true, false, false
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
			switch {
			case m.Kind != "subscribe":
			case m.Channel == w.health:
				c.confirmed = true
			default:
				s.log.LogAttrs(ctx, slog.LevelInfo, "tenant announcements resubscribed, resyncing",
					slog.String("service", s.service))
				lost = false
				resync()
			}
		case *redis.Message:
			if m.Channel == w.health {
				if c.waiting && m.Payload == strconv.FormatUint(c.nonce, 10) {
					c.waiting = false
				}
				continue
			}
			e, err := parseMessage(m.Payload)
			if err != nil {
				s.log.LogAttrs(ctx, slog.LevelWarn, "ignored announcement", slog.String("error", err.Error()))
				resync()
				continue
			}
			events(e)
		}
	}
}
