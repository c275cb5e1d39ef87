package tenantsync

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tenantrouter/tenantplugin/resolver"
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

// maxRefusalLines is how many refusals a boot or resync logs one by
// one; its summary line counts them all.
const maxRefusalLines = 10

// batch counts what one boot or resync did, for its summary line.
type batch struct {
	added, changed, removed, refused, corrected uint64
}

// beginBatch starts counting a boot or resync. The context it returns
// keeps the resolver from logging each tenant (resolver.WithoutTenantLog):
// endBatch logs one line for all.
func (s *Syncer) beginBatch(ctx context.Context) context.Context {
	s.batch = &batch{}
	return resolver.WithoutTenantLog(ctx)
}

// endBatch logs the boot's or resync's line: at Info for a boot or when
// it changed or refused something, at Debug otherwise.
func (s *Syncer) endBatch(ctx context.Context, boot bool) {
	b := s.batch
	s.batch = nil
	msg, level := "tenants resynced from the store", slog.LevelDebug
	if boot {
		msg = "tenants loaded from the store"
	}
	if boot || b.added+b.changed+b.removed+b.refused > 0 {
		level = slog.LevelInfo
	}
	attrs := []slog.Attr{
		slog.String("store", s.opt.name), slog.Int("tenants", len(s.applied)),
		slog.Uint64("added", b.added), slog.Uint64("changed", b.changed),
		slog.Uint64("removed", b.removed), slog.Uint64("refused", b.refused),
	}
	if b.corrected > 0 {
		attrs = append(attrs, slog.Uint64("corrected", b.corrected))
	}
	if b.refused > maxRefusalLines {
		attrs = append(attrs, slog.Uint64("refusals_not_logged", b.refused-maxRefusalLines))
	}
	s.log.LogAttrs(ctx, level, msg, attrs...)
}
