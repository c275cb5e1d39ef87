package resolver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/tenantrouter/tenantplugin/internal/drvwrap"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
)

// member is one *sql.DB drawing on the budget.
type member struct {
	b                *budget
	db               *sql.DB
	maxOpen, maxIdle int // the pool's own limits; <= 0: unlimited, none idle

	// Guarded by budget.mu.
	open   int  // connections database/sql counts: opening or open
	held   int  // slots: open, plus closed ones whose session is ending
	queued int  // waiters in budget.queue
	closed bool // the *sql.DB is closed

	// give counts connections to close when they are next returned.
	give atomic.Int32
	// last is the budget clock when a connection was last returned.
	last atomic.Int64
	// waits counts this member's connection attempts that waited for a
	// slot.
	waits atomic.Uint64

	// setMu serialises changes to db's limits; dirty asks its holder to
	// apply them again.
	setMu   sync.Mutex
	dirty   atomic.Bool
	applied int // the MaxOpenConns set last; guarded by setMu
}

// open opens a *sql.DB on c whose connections draw on the budget, with
// the pool limits maxOpen and maxIdle (lowered while the budget is
// clamped).
func (b *budget) open(c driver.Connector, maxOpen, maxIdle int) *sql.DB {
	m := &member{b: b, maxOpen: maxOpen, maxIdle: maxIdle}
	m.last.Store(b.clock.Load())
	bc := &budgetConnector{Connector: c, m: m}
	bc.sc, _ = c.(dbdriver.SessionConnector)
	m.db = sql.OpenDB(bc)
	m.db.SetMaxOpenConns(maxOpen)
	m.db.SetMaxIdleConns(maxIdle)
	m.applied = maxOpen
	b.mu.Lock()
	b.members[m] = struct{}{}
	clamped := b.clamped
	b.mu.Unlock()
	if clamped {
		m.apply()
	}
	return m.db
}

// targetLocked is the MaxOpenConns m's pool should have now. m.b.mu
// must be held.
func (m *member) targetLocked() int {
	if !m.b.clamped || m.closed {
		return m.maxOpen
	}
	target := max(1, m.open+m.queued)
	if m.maxOpen <= 0 { // unlimited
		return target
	}
	return min(m.maxOpen, target)
}

// apply sets the pool's limits for the budget's state. A call that finds
// another one applying leaves the work to it.
func (m *member) apply() {
	m.with(func() {})
}

// with runs f holding setMu, then applies the limits. When setMu is
// held, f is skipped (it reports false) and the holder applies them.
func (m *member) with(f func()) bool {
	ran := false
	for {
		if !m.setMu.TryLock() {
			m.dirty.Store(true)
			return ran
		}
		m.dirty.Store(false)
		if !ran {
			f()
			ran = true
		}
		m.b.mu.Lock()
		want, closed := m.targetLocked(), m.closed
		m.b.mu.Unlock()
		if want != m.applied && !closed {
			// SetMaxOpenConns lowers MaxIdleConns with it; restore it on
			// the way up (database/sql caps it at MaxOpenConns).
			m.db.SetMaxOpenConns(want)
			m.db.SetMaxIdleConns(m.maxIdle)
			m.applied = want
		}
		m.setMu.Unlock()
		if !m.dirty.Load() {
			return ran
		}
	}
}

// stealIdle closes one of the pool's idle connections, if it has one: it
// lowers MaxIdleConns under the idle count, which makes database/sql
// close the surplus at once, and restores it.
func (m *member) stealIdle() bool {
	stolen := false
	m.with(func() {
		n := m.db.Stats().Idle
		if n == 0 {
			return
		}
		m.db.SetMaxIdleConns(n - 1) // 0 means none
		m.db.SetMaxIdleConns(m.maxIdle)
		stolen = true
	})
	return stolen
}

// reuse is the pool's Reuse hook, run each time a connection is
// returned: false (a donation asked for) closes it.
func (m *member) reuse() bool {
	if now := m.b.clock.Load(); m.last.Load() != now {
		m.last.Store(now)
	}
	for {
		g := m.give.Load()
		if g <= 0 {
			return true
		}
		if m.give.CompareAndSwap(g, g-1) {
			m.b.coming.Add(-1)
			return false
		}
	}
}

// budgetConnector makes m's connections, each holding a slot.
type budgetConnector struct {
	driver.Connector
	sc dbdriver.SessionConnector // the same connector, when it is one
	m  *member
}

func (c *budgetConnector) Connect(ctx context.Context) (driver.Conn, error) {
	b := c.m.b
	if err := b.acquire(ctx, c.m); err != nil {
		return nil, err
	}
	s := &slot{m: c.m, ended: c.sc == nil}
	var conn driver.Conn
	var err error
	if c.sc != nil {
		conn, err = c.sc.ConnectSession(ctx, s.end)
	} else {
		conn, err = c.Connector.Connect(ctx)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	h := drvwrap.Hooks{Closed: s.close}
	if b.max >= 0 {
		// Only a budget with a limit asks pools to give connections back
		// (reclaim): each returned connection then checks whether its
		// pool was asked. Unlimited, the check would cost every query a
		// call through driver.Validator for nothing.
		h.Reuse = c.m.reuse
	}
	return drvwrap.Wrap(conn, h), nil
}

// Close is called by database/sql's DB.Close: the pool is gone.
func (c *budgetConnector) Close() error {
	b := c.m.b
	b.mu.Lock()
	c.m.closed = true
	delete(b.members, c.m)
	b.coming.Add(-c.m.give.Swap(0))
	b.mu.Unlock()
	if cl, ok := c.Connector.(interface{ Close() error }); ok {
		return cl.Close()
	}
	return nil
}

// slot is one connection's hold on the budget: given back once the
// connection is closed and its server session has ended.
type slot struct {
	m             *member
	closed, ended bool // guarded by budget.mu
}

// close runs when the connection closes (or the attempt failed). It can
// run under database/sql's lock of m's pool: pool limits change later,
// on the budget's applier.
func (s *slot) close() {
	b := s.m.b
	b.mu.Lock()
	if s.closed {
		b.mu.Unlock()
		return
	}
	s.closed = true
	s.m.open--
	unclamp := false
	if s.ended {
		unclamp = b.releaseLocked(s.m)
	} else {
		b.ending++
	}
	switch {
	case unclamp:
		b.applySoonLocked(nil)
	case b.clamped:
		b.applySoonLocked(s.m)
	}
	b.mu.Unlock()
}

// end runs when the connection's server sessions have ended.
func (s *slot) end(err error) {
	b := s.m.b
	if err != nil {
		b.log.LogAttrs(context.Background(), slog.LevelWarn, "tenant connection's server session not seen ending; its budget slot is given back",
			slog.String("error", err.Error()))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.ended {
		return
	}
	s.ended = true
	if !s.closed {
		return
	}
	if b.releaseLocked(s.m) {
		b.applySoonLocked(nil)
	}
	b.ending--
	if b.ending == 0 {
		close(b.ended)
		b.ended = make(chan struct{})
	}
}
