package resolver

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// budget is the connection budget shared by all tenant pools (each
// primary and replica *sql.DB is a member). A slot is taken by every
// connection attempt, inside the driver's Connect, and given back when
// the connection is closed and its server session has ended.
//
// database/sql dials in the requesting goroutine when its pool has no
// free connection, and a request blocked in Connect never receives a
// connection freed into its pool. So, while the budget is spent:
//   - every pool's MaxOpenConns is lowered to the connections it has or
//     is opening (at least one), so that its requests queue for those
//     instead of dialling (the clamp, lifted when a slot is free and
//     nobody waits);
//   - a waiter frees a slot: it closes an idle connection (another
//     pool's first, the least recently used) or, when none is idle, asks
//     the pool with the most connections to close its next returned one
//     (a donation: at once for a waiter whose pool has none, after
//     patience for others);
//   - the rebalancer moves idle connections to pools whose requests
//     queue, which cannot ask for themselves;
//   - freed slots go to the waiters in arrival order.
//
// database/sql may close a connection holding its DB lock, so mu is
// never held while calling into a *sql.DB, and connection hooks change
// no pool limit themselves (the applier does, on its goroutine).
type budget struct {
	max   int           // -1: no budget, connections are only counted
	clock *atomic.Int64 // the resolver's coarse clock, for LRU order
	// idleWaiters is the resolver's count of waiters a pool going idle
	// may serve: waiting counts in it too.
	idleWaiters *atomic.Int32
	log         *slog.Logger

	mu      sync.Mutex
	used    int // slots held
	queue   []*waiter
	members map[*member]struct{}
	clamped bool
	// donated is when a donation was last asked for.
	donated time.Time
	// ending counts closed connections whose server session has not
	// ended; ended is closed and replaced when it drops to zero.
	ending int
	ended  chan struct{}
	// nudge is closed and replaced to make the waiters look again.
	nudge chan struct{}
	// pending lists the members whose limits the applier must set (all
	// of them when pendingAll); applying tells that it runs, rebalancing
	// that the rebalancer does. closed stops both, and stop the
	// rebalancer's wait.
	pending     []*member
	pendingAll  bool
	applying    bool
	rebalancing bool
	closed      bool
	stop        chan struct{}
	workers     sync.WaitGroup

	waiting atomic.Int32 // len(queue), for lock-free checks
	waits   atomic.Uint64
	// coming counts donations asked for and not yet taken.
	coming atomic.Int32
}

// waiter is one connection attempt waiting for a slot.
type waiter struct {
	m       *member
	ready   chan struct{} // closed when granted
	granted bool          // guarded by budget.mu
	since   time.Time
}

const (
	// recheckFirst is the interval at which a waiter first looks again
	// for a slot to free; it doubles up to recheckLast.
	recheckFirst = 10 * time.Millisecond
	recheckLast  = 200 * time.Millisecond
	// patience is how long a waiter whose pool has connections waits
	// before asking a busy pool for one.
	patience = 100 * time.Millisecond
	// promiseTTL is how long donations asked for are trusted to arrive
	// before more are asked for.
	promiseTTL = 250 * time.Millisecond
	// rebalanceEvery is the rebalancer's period.
	rebalanceEvery = 100 * time.Millisecond
)

func newBudget(maxConns int, clock *atomic.Int64, idleWaiters *atomic.Int32, log *slog.Logger) *budget {
	return &budget{
		max: maxConns, clock: clock, idleWaiters: idleWaiters, log: log,
		members: make(map[*member]struct{}),
		ended:   make(chan struct{}),
		nudge:   make(chan struct{}),
		stop:    make(chan struct{}),
	}
}

// acquire takes a slot for a connection of m, freeing one and waiting
// while the budget is spent.
func (b *budget) acquire(ctx context.Context, m *member) error {
	b.mu.Lock()
	if b.max < 0 || (b.used < b.max && len(b.queue) == 0) {
		b.used++
		m.open++
		m.held++
		b.mu.Unlock()
		return nil
	}
	w := &waiter{m: m, ready: make(chan struct{}), since: time.Now()}
	b.queue = append(b.queue, w)
	b.waiting.Add(1)
	b.idleWaiters.Add(1)
	m.queued++
	clamp := !b.clamped
	b.clamped = true
	if clamp && !b.rebalancing && !b.closed {
		b.rebalancing = true
		b.workers.Add(1)
		go b.rebalancer()
	}
	b.mu.Unlock()
	b.waits.Add(1)
	m.waits.Add(1)
	if clamp {
		b.applyAll()
	} else {
		m.apply()
	}

	timer := time.NewTimer(recheckFirst)
	defer timer.Stop()
	again := recheckFirst
	for {
		b.reclaim(w)
		b.mu.Lock()
		nudge := b.nudge
		b.mu.Unlock()
		select {
		case <-w.ready:
			return nil
		case <-ctx.Done():
			return b.abandon(ctx, w)
		case <-nudge:
		case <-timer.C:
			again = min(2*again, recheckLast)
			timer.Reset(again)
		}
	}
}

// abandon takes w out of the queue when its context ended first.
func (b *budget) abandon(ctx context.Context, w *waiter) error {
	b.mu.Lock()
	if w.granted {
		// The slot came anyway: connect with it (the driver fails at once
		// on the ended context, which gives the slot back).
		b.mu.Unlock()
		return nil
	}
	for i, q := range b.queue {
		if q == w {
			b.queue = append(b.queue[:i], b.queue[i+1:]...)
			break
		}
	}
	b.waiting.Add(-1)
	b.idleWaiters.Add(-1)
	w.m.queued--
	b.dequeuedLocked()
	b.mu.Unlock()
	w.m.apply()
	return fmt.Errorf("%w: %d connections in use: %w", ErrConnBudget, b.max, ctx.Err())
}

// releaseLocked gives back m's slot: to the first waiter, or to the
// budget. It reports whether the clamp was lifted: the caller then
// applies it, after unlocking. b.mu must be held.
func (b *budget) releaseLocked(m *member) (unclamp bool) {
	m.held--
	if len(b.queue) > 0 {
		w := b.queue[0]
		b.queue[0] = nil
		b.queue = b.queue[1:]
		b.waiting.Add(-1)
		b.idleWaiters.Add(-1)
		w.granted = true
		w.m.queued--
		w.m.open++
		w.m.held++
		close(w.ready)
		b.dequeuedLocked()
		return false
	}
	b.used--
	if b.clamped {
		b.clamped = false
		return true
	}
	return false
}

// dequeuedLocked forgets the donations asked for once nobody waits.
// b.mu must be held.
func (b *budget) dequeuedLocked() {
	if len(b.queue) > 0 {
		return
	}
	b.queue = nil
	if b.coming.Load() > 0 {
		for m := range b.members {
			b.coming.Add(-m.give.Swap(0))
		}
	}
}

// poke makes the waiters, if any, look again: a pool went idle, so its
// connections are.
func (b *budget) poke() {
	if b.waiting.Load() == 0 {
		return
	}
	b.mu.Lock()
	close(b.nudge)
	b.nudge = make(chan struct{})
	b.mu.Unlock()
}

// applyAll sets every member's pool limits for the clamp's state.
func (b *budget) applyAll() {
	b.mu.Lock()
	ms := b.membersLocked()
	b.mu.Unlock()
	for _, m := range ms {
		m.apply()
	}
}

// membersLocked lists the members. b.mu must be held.
func (b *budget) membersLocked() []*member {
	ms := make([]*member, 0, len(b.members))
	for m := range b.members {
		ms = append(ms, m)
	}
	return ms
}

// applySoonLocked has m's pool limits set (every member's when m is nil)
// by the applier, a goroutine of the budget's that runs while there is
// work: connection hooks can run under database/sql's lock of the pool
// whose limits they change. b.mu must be held.
func (b *budget) applySoonLocked(m *member) {
	if b.closed {
		return
	}
	if m == nil {
		b.pendingAll = true
	} else {
		b.pending = append(b.pending, m)
	}
	if b.applying {
		return
	}
	b.applying = true
	b.workers.Add(1)
	go b.applier()
}

func (b *budget) applier() {
	defer b.workers.Done()
	for {
		b.mu.Lock()
		ms := b.pending
		if b.pendingAll {
			ms = b.membersLocked()
		}
		b.pending, b.pendingAll = nil, false
		if len(ms) == 0 {
			b.applying = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		for _, m := range ms {
			m.apply()
		}
	}
}

func (b *budget) inUse() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// waitsByDB returns the budget waits of each member's *sql.DB.
func (b *budget) waitsByDB() map[*sql.DB]uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := make(map[*sql.DB]uint64, len(b.members))
	for m := range b.members {
		w[m.db] = m.waits.Load()
	}
	return w
}

// wait stops the applier and the rebalancer, and returns once no closed
// connection's server session is still ending: their slots have been
// given back. The resolver's Close calls it after closing its pools.
func (b *budget) wait() {
	b.mu.Lock()
	b.closed = true
	close(b.stop)
	b.mu.Unlock()
	b.workers.Wait()
	for {
		b.mu.Lock()
		n, ch := b.ending, b.ended
		b.mu.Unlock()
		if n == 0 {
			return
		}
		<-ch
	}
}
