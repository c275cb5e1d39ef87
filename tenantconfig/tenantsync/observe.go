package tenantsync

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// WithEventLag calls fn with the lag of each announced change this
// Syncer applies: the time from the announcement's arrival in this
// process to the end of its application (the tenant's record read, the
// target set or the tenant removed, or the record found already
// applied). Announcements of one tenant that wait together are one
// change, measured from the first one's arrival. A change that is
// refused, or whose record cannot be read, reports nothing (Stats counts
// it). The time the store took to deliver the announcement is not in
// it: announcements carry no time.
//
// fn runs on the Syncer's goroutine, between changes: it must be quick
// and must not call the Syncer. A nil fn is refused. Load, which reads
// no announcements, never calls it.
func WithEventLag(fn func(lag time.Duration)) Option {
	return func(o *options) error {
		if fn == nil {
			return errors.New("WithEventLag(nil): nil function")
		}
		o.eventLag = fn
		return nil
	}
}

// arrivedLocked notes when a tenant's oldest waiting announcement
// arrived, for WithEventLag. s.mu must be held.
func (s *Syncer) arrivedLocked(id string) {
	if s.opt.eventLag == nil {
		return
	}
	if s.arrived == nil {
		s.arrived = map[string]time.Time{}
	}
	if _, ok := s.arrived[id]; !ok {
		s.arrived[id] = time.Now()
	}
}

// reportLag reports the lag of tenant id's announcement, once handled:
// refused is the count of refusals before it, unread tells that its
// record could not be read.
func (s *Syncer) reportLag(arrived map[string]time.Time, id string, refused uint64, unread bool) {
	at, ok := arrived[id]
	if !ok || unread || s.stats.refused.Load() != refused {
		return
	}
	s.opt.eventLag(time.Since(at))
}

// logResync logs a resync: at Info when it changed or refused something,
// at Debug otherwise. applied and refused are the counts before it.
func (s *Syncer) logResync(ctx context.Context, applied, refused uint64) {
	changes, bad := s.stats.applied.Load()-applied, s.stats.refused.Load()-refused
	level := slog.LevelDebug
	if changes > 0 || bad > 0 {
		level = slog.LevelInfo
	}
	s.log.LogAttrs(ctx, level, "tenants resynced from the store",
		slog.String("store", s.opt.name), slog.Int("tenants", len(s.applied)),
		slog.Uint64("changes", changes), slog.Uint64("refused", bad))
}
