package resolver

import (
	"slices"
	"time"
)

// reclaim frees a slot for w, unless the slots on their way cover the
// waiters: closed connections whose session is ending, and donations
// asked for less than promiseTTL ago.
func (b *budget) reclaim(w *waiter) {
	b.mu.Lock()
	short := len(b.queue) - b.ending
	if time.Since(b.donated) < promiseTTL {
		short -= int(b.coming.Load())
	}
	if w.granted || short <= 0 {
		b.mu.Unlock()
		return
	}
	cands := b.candidatesLocked(w.m)
	starving := w.m.open == 0
	b.mu.Unlock()

	for _, m := range cands {
		if m.stealIdle() {
			return
		}
	}
	if !starving && time.Since(w.since) < patience {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if w.granted {
		return
	}
	if d := b.donorLocked(w.m); d != nil {
		d.give.Add(1)
		b.coming.Add(1)
		b.donated = time.Now()
	}
}

// candidatesLocked lists the members to take an idle connection from:
// other pools before own's, the least recently used first. b.mu must
// be held.
func (b *budget) candidatesLocked(own *member) []*member {
	ms := make([]*member, 0, len(b.members))
	for m := range b.members {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(x, y *member) int {
		if (x == own) != (y == own) {
			if x == own {
				return 1
			}
			return -1
		}
		return int(x.last.Load() - y.last.Load())
	})
	return ms
}

// donorLocked picks the pool to close its next returned connection: the
// one with the most connections not already promised, another pool
// before own's on a tie, then the least recently used. b.mu must be
// held.
func (b *budget) donorLocked(own *member) *member {
	var best *member
	bestN := 0
	for m := range b.members {
		n := m.open - int(m.give.Load())
		if n <= 0 {
			continue
		}
		switch {
		case best == nil || n > bestN:
		case n < bestN:
			continue
		case (m == own) != (best == own):
			if m == own {
				continue
			}
		case m.last.Load() >= best.last.Load():
			continue
		}
		best, bestN = m, n
	}
	return best
}

// rebalancer runs while the budget is clamped. A clamped pool whose
// requests queue does not dial, so nothing tells the budget that it wants
// more connections while others sit idle (the load moved to other
// tenants). Every rebalanceEvery, when some pool's requests queued since
// the last look, an idle connection is closed in each pool whose
// requests did not: the slot goes to a waiter, or back to the budget,
// which lifts the clamp.
func (b *budget) rebalancer() {
	defer b.workers.Done()
	tick := time.NewTicker(rebalanceEvery)
	defer tick.Stop()
	waits := make(map[*member]int64)
	for {
		select {
		case <-b.stop:
			return
		case <-tick.C:
		}
		b.mu.Lock()
		if !b.clamped || b.closed {
			b.rebalancing = false
			b.mu.Unlock()
			return
		}
		ms := b.membersLocked()
		b.mu.Unlock()
		queued := false
		var spare []*member
		seen := make(map[*member]int64, len(ms))
		for _, m := range ms {
			st := m.db.Stats()
			seen[m] = st.WaitCount
			prev, ok := waits[m]
			switch {
			case !ok:
			case st.WaitCount > prev:
				queued = true
			case st.Idle > 0:
				spare = append(spare, m)
			}
		}
		waits = seen
		if queued {
			for _, m := range spare {
				m.stealIdle()
			}
		}
	}
}
