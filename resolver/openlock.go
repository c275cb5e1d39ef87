package resolver

import (
	"context"
	"fmt"
)

// lockOpen takes t.openMu, waiting at most until ctx ends. A Set holds
// the lock while it pings the tenant's next pool, for as long as its own
// context allows; a request that needs the tenant's pool meanwhile, or
// another Set, waits no longer than its own deadline.
func (r *Resolver) lockOpen(ctx context.Context, t *tenantState) error {
	if t.openMu.TryLock() {
		return nil
	}
	r.openWaiters.Add(1)
	defer r.openWaiters.Add(-1)
	for {
		r.openFreedMu.Lock()
		freed := r.openFreed
		r.openFreedMu.Unlock()
		if t.openMu.TryLock() {
			return nil
		}
		select {
		case <-freed:
		case <-ctx.Done():
			return openWaitError(ctx, t)
		}
	}
}

// unlockOpen releases t.openMu and wakes the goroutines waiting in
// lockOpen, if any (for any tenant: they try again).
func (r *Resolver) unlockOpen(t *tenantState) {
	t.openMu.Unlock()
	if r.openWaiters.Load() == 0 {
		return
	}
	r.openFreedMu.Lock()
	close(r.openFreed)
	r.openFreed = make(chan struct{})
	r.openFreedMu.Unlock()
}

// openWaitError is the error of a lockOpen whose context ended: it says
// what the holder was doing, and wraps ErrPoolsExhausted when the holder
// was itself waiting for a slot under MaxPools, as that is what kept
// this caller waiting too.
func openWaitError(ctx context.Context, t *tenantState) error {
	what := "the pool that another request is opening"
	if t.changing.Load() {
		what = "the pool that a config change of the tenant is opening"
	}
	if t.slotWait.Load() {
		return fmt.Errorf("%w: waiting for %s, itself waiting for a pool slot: %w", ErrPoolsExhausted, what, context.Cause(ctx))
	}
	return fmt.Errorf("waiting for %s: %w", what, context.Cause(ctx))
}
