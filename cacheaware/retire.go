package cacheaware

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// closing is added to a tenant client's count of running commands when
// it is closed: the count stays negative, and a command that finds it so
// is refused instead of running on a closed client.
const closing = -1 << 40

// tenantClient is a tenant's client with the count of commands running
// on it, which a retired client waits for before it closes.
type tenantClient struct {
	redis.UniversalClient
	id, alias string
	running   atomic.Int64
	retired   atomic.Bool
	dueAt     time.Time       // when a retired client may close; set under Caches.mu
	kick      chan<- struct{} // wakes the janitor when a retired client goes idle
}

func newTenantClient(cl redis.UniversalClient, id, alias string, kick chan<- struct{}) *tenantClient {
	tc := &tenantClient{UniversalClient: cl, id: id, alias: alias, kick: kick}
	cl.AddHook(runningHook{tc})
	return tc
}

// begin counts a command in, or refuses it on a closed client.
func (tc *tenantClient) begin() error {
	if tc.running.Add(1) < 0 {
		tc.running.Add(-1)
		return redis.ErrClosed
	}
	return nil
}

// end counts a command out, and wakes the janitor when a retired client
// has no command left.
func (tc *tenantClient) end() {
	if tc.running.Add(-1) == 0 && tc.retired.Load() {
		select {
		case tc.kick <- struct{}{}:
		default:
		}
	}
}

// runningHook counts the commands running on a tenant client.
type runningHook struct{ tc *tenantClient }

var _ redis.Hook = runningHook{}

func (runningHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h runningHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if err := h.tc.begin(); err != nil {
			return err
		}
		defer h.tc.end()
		return next(ctx, cmd)
	}
}

func (h runningHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if err := h.tc.begin(); err != nil {
			for _, cmd := range cmds {
				cmd.SetErr(err)
			}
			return err
		}
		defer h.tc.end()
		return next(ctx, cmds)
	}
}

// retireLocked takes e's client out of service: new callers no longer
// get it, and it closes once RetireGrace has passed and no command runs
// on it. c.mu must be held.
func (c *Caches) retireLocked(e *entry) {
	tc := e.client
	if tc == nil {
		return
	}
	c.lru.Remove(e.elem)
	e.client, e.elem = nil, nil
	tc.dueAt = time.Now()
	if c.cfg.RetireGrace > 0 {
		tc.dueAt = tc.dueAt.Add(c.cfg.RetireGrace)
	}
	tc.retired.Store(true)
	c.retiring[tc] = struct{}{}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// janitor closes retired clients when they are due and idle, until
// Close.
func (c *Caches) janitor() {
	defer close(c.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		case <-timer.C:
		}
		if next := c.closeDue(time.Now()); !next.IsZero() {
			timer.Reset(time.Until(next))
		}
	}
}

// closeDue closes the retired clients that are due and run no command,
// and returns when the next one is due (zero: none waits for its grace).
// A due client that runs a command is closed when the command ends.
func (c *Caches) closeDue(now time.Time) (next time.Time) {
	var due []*tenantClient
	c.mu.Lock()
	for tc := range c.retiring {
		if now.Before(tc.dueAt) {
			if next.IsZero() || tc.dueAt.Before(next) {
				next = tc.dueAt
			}
			continue
		}
		// From here no command can start on it (begin refuses).
		if tc.running.CompareAndSwap(0, closing) {
			delete(c.retiring, tc)
			due = append(due, tc)
		}
	}
	c.mu.Unlock()
	for _, tc := range due {
		c.closeClient(tc)
	}
	return next
}

// closeClient closes a tenant client taken out of the Caches.
func (c *Caches) closeClient(tc *tenantClient) {
	err := tc.Close()
	c.closedClients.Add(1)
	attrs := []slog.Attr{slog.String("tenant", tc.id), slog.String("alias", tc.alias)}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.log.LogAttrs(context.Background(), slog.LevelDebug, "tenant cache client closed", attrs...)
}
