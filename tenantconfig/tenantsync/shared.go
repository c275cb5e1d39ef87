package tenantsync

import (
	"context"
	"errors"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// sharedRefusal is a tenant whose record was refused for a database that
// another tenant held (resolver.ErrDatabaseShared).
type sharedRefusal struct {
	id  string
	rec tenantconfig.Record
	err error
}

// collectShared starts a run of puts (one write's tenants, a resync's)
// whose refusals for a shared database wait for putSharedAgain: a later
// put of the run may free the database (a tenant moved to the database
// another leaves, applied before the other has left it).
func (s *Syncer) collectShared() {
	s.collecting = true
	s.shared = s.shared[:0]
}

// deferShared keeps a refusal of the run for putSharedAgain; false when
// err is not one for a shared database or no run collects them.
func (s *Syncer) deferShared(id string, rec tenantconfig.Record, err error) bool {
	if !s.collecting || !errors.Is(err, resolver.ErrDatabaseShared) {
		return false
	}
	s.shared = append(s.shared, sharedRefusal{id: id, rec: rec, err: err})
	return true
}

// putSharedAgain ends the run: it puts the tenants refused for a shared
// database again, with put, for as long as one of them is applied; those
// still refused are reported.
func (s *Syncer) putSharedAgain(ctx context.Context, put func(sharedRefusal)) {
	for len(s.shared) > 0 {
		pending := s.shared
		s.shared = nil
		for _, p := range pending {
			put(p)
		}
		if len(s.shared) == len(pending) { // none applied: none will be
			break
		}
	}
	s.collecting = false
	for _, p := range s.shared {
		s.refuse(ctx, p.id, p.rec.Version, p.err)
	}
	s.shared = nil
}

// applyDone notes that tenant id was applied or removed: a database may
// be free now for a tenant waiting for it.
func (s *Syncer) applyDone(id string) {
	delete(s.waiting, id)
	s.freed = true
}

// requeueWaiting announces again the tenants refused for a shared
// database once a tenant was applied or removed since the last call
// (the database may be free now): their records are read again. A store
// write that moves one tenant to the database another leaves may reach
// the Syncer as two announcements, applied one run after the other.
func (s *Syncer) requeueWaiting() {
	if !s.freed || len(s.waiting) == 0 {
		s.freed = false
		return
	}
	s.freed = false
	s.mu.Lock()
	for id, v := range s.waiting {
		if _, ok := s.pending[id]; !ok {
			s.pending[id] = tenantconfig.Event{Tenant: id, Version: v}
		}
	}
	s.mu.Unlock()
	clear(s.waiting)
	s.poke()
}
