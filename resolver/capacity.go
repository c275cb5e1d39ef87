package resolver

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// takeSlot counts a new pool against MaxPools, closing the least
// recently used idle pool, or waiting for one to close or to go idle,
// while the cap is reached. A waiter also looks again now and then: a
// pool that was still being built when it looked, and whose handle is
// then never used, is idle without ever going idle, and wakes nobody.
func (r *Resolver) takeSlot(ctx context.Context, t *tenantState) error {
	again := recheckFirst
	for {
		r.capMu.Lock()
		if r.closed.Load() {
			r.capMu.Unlock()
			return ErrClosed
		}
		if r.cfg.MaxPools < 0 || r.open < r.cfg.MaxPools {
			r.open++
			r.capMu.Unlock()
			t.slotWait.Store(false)
			return nil
		}
		// Counted before looking for an idle pool: a pool whose last lease
		// goes after the look sees the count and wakes this waiter.
		r.slotWaiters.Add(1)
		r.idleWaiters.Add(1)
		t.slotWait.Store(true)
		freed := r.capFreed
		victim := r.lruIdleLocked()
		r.capMu.Unlock()
		if victim != nil {
			r.evict(victim, "pool cap")
		}
		var err error
		timer := time.NewTimer(again)
		select {
		case <-freed:
		case <-timer.C:
			again = min(2*again, recheckLast)
		case <-ctx.Done():
			err = fmt.Errorf("%w: tenant %q waited for one of %d pools: %w", ErrPoolsExhausted, t.id, r.cfg.MaxPools, ctx.Err())
		}
		timer.Stop()
		r.slotWaiters.Add(-1)
		r.idleWaiters.Add(-1)
		if err != nil {
			return err
		}
	}
}

// wakeSlotWaiters wakes the takeSlot calls waiting for a slot: a pool
// went idle, and they may evict it.
func (r *Resolver) wakeSlotWaiters() {
	r.capMu.Lock()
	r.notifyLocked()
	r.capMu.Unlock()
}

// giveSlot undoes takeSlot for a pool that failed to build.
func (r *Resolver) giveSlot() {
	r.capMu.Lock()
	r.open--
	r.notifyLocked()
	r.capMu.Unlock()
}

// notifyLocked wakes the takeSlot and Close calls waiting for a pool
// slot. r.capMu must be held.
func (r *Resolver) notifyLocked() {
	close(r.capFreed)
	r.capFreed = make(chan struct{})
}

// lruIdleLocked removes and returns the least recently used live pool
// that nobody leases, or nil. r.capMu must be held.
func (r *Resolver) lruIdleLocked() *pool {
	var victim *pool
	for p := range r.live {
		if p.inUse() {
			continue
		}
		if victim == nil || p.lastUsed.Load() < victim.lastUsed.Load() {
			victim = p
		}
	}
	if victim != nil {
		delete(r.live, victim)
	}
	return victim
}

func (r *Resolver) evict(p *pool, why string) {
	if p.retire() {
		r.evicted.Add(1)
		r.log.LogAttrs(context.Background(), slog.LevelInfo, "tenant pool evicted",
			slog.String("tenant", p.tenant), slog.Uint64("version", p.version), slog.String("reason", why))
	}
}

// retire takes p out of service: it closes once its leases are released.
func (r *Resolver) retire(p *pool) {
	r.capMu.Lock()
	delete(r.live, p)
	r.capMu.Unlock()
	p.retire()
}

// closeAsync closes p in a goroutine of the resolver's, so that closing
// never blocks a request or a lock.
func (r *Resolver) closeAsync(p *pool) {
	r.closing.Add(1)
	go func() {
		defer r.closing.Done()
		err := p.close()
		r.capMu.Lock()
		delete(r.live, p)
		r.open--
		r.notifyLocked()
		r.capMu.Unlock()
		r.closedPools.Add(1)
		attrs := []slog.Attr{slog.String("tenant", p.tenant), slog.Uint64("version", p.version)}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		r.log.LogAttrs(context.Background(), slog.LevelDebug, "tenant pool closed", attrs...)
	}()
}

// janitor advances the clock and closes pools left idle for
// IdleTimeout (none when it is -1).
func (r *Resolver) janitor() {
	defer close(r.done)
	tick := time.NewTicker(r.clockStep)
	defer tick.Stop()
	var lastScan int64
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
			r.tick()
			if r.cfg.IdleTimeout < 0 || r.clock.Load()-lastScan < int64(r.cfg.IdleTimeout/4) {
				continue
			}
			lastScan = r.clock.Load()
			r.capMu.Lock()
			idle := r.idleSinceLocked(r.clock.Load() - int64(r.cfg.IdleTimeout))
			r.capMu.Unlock()
			for _, p := range idle {
				r.evict(p, "idle")
			}
		}
	}
}

// tick advances the resolver's clock. Leases read it instead of the
// system clock, which costs more than the rest of a lease.
func (r *Resolver) tick() { r.clock.Store(int64(time.Since(r.epoch))) }

// idleSinceLocked removes and returns the live pools that nobody leases
// and that were last used before the clock read limit. r.capMu must be
// held.
func (r *Resolver) idleSinceLocked(limit int64) []*pool {
	var idle []*pool
	for p := range r.live {
		if !p.inUse() && p.lastUsed.Load() < limit {
			delete(r.live, p)
			idle = append(idle, p)
		}
	}
	return idle
}

// takeLiveLocked removes and returns every live pool: Close and
// UseDialector retire them after unlocking. r.capMu must be held.
func (r *Resolver) takeLiveLocked() []*pool {
	pools := make([]*pool, 0, len(r.live))
	for p := range r.live {
		pools = append(pools, p)
	}
	clear(r.live)
	return pools
}
