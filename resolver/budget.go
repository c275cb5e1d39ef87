package resolver

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tenantrouter/tenantplugin/internal/drvwrap"
)

// budget is the connection budget shared by all tenant pools: a counting
// semaphore taken by every new connection and given back when the
// connection closes.
type budget struct {
	max int
	mu  sync.Mutex
	// used counts connections that exist.
	used int
	// freed is closed and replaced whenever a slot is given back or an
	// idle pool may be shed.
	freed chan struct{}
	// waiters counts acquire calls waiting for a slot.
	waiters atomic.Int32
	// shed asks the resolver to close its least recently used idle pool;
	// it reports whether it found one.
	shed  func() bool
	waits atomic.Uint64
}

func newBudget(maxConns int, shed func() bool) *budget {
	return &budget{max: maxConns, freed: make(chan struct{}), shed: shed}
}

// acquire takes a slot, shedding idle pools and then waiting while the
// budget is spent.
func (b *budget) acquire(ctx context.Context) error {
	counted := false
	for {
		b.mu.Lock()
		if b.used < b.max {
			b.used++
			b.mu.Unlock()
			return nil
		}
		freed := b.freed
		b.waiters.Add(1)
		b.mu.Unlock()
		if !counted {
			b.waits.Add(1)
			counted = true
		}
		b.shed()
		var err error
		select {
		case <-freed:
		case <-ctx.Done():
			err = fmt.Errorf("%w: %d connections in use: %w", ErrConnBudget, b.max, ctx.Err())
		}
		b.waiters.Add(-1)
		if err != nil {
			return err
		}
	}
}

// poke wakes the waiters, if any, to shed again: a pool went idle.
func (b *budget) poke() {
	if b.waiters.Load() == 0 {
		return
	}
	b.mu.Lock()
	if b.waiters.Load() > 0 {
		close(b.freed)
		b.freed = make(chan struct{})
	}
	b.mu.Unlock()
}

func (b *budget) release() {
	b.mu.Lock()
	b.used--
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

func (b *budget) inUse() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// connector wraps c so that every connection it makes holds a slot.
func (b *budget) connector(c driver.Connector) driver.Connector {
	return drvwrap.Connector(c, drvwrap.Hooks{
		Connect:       b.acquire,
		ConnectFailed: b.release,
		Closed:        b.release,
	})
}
