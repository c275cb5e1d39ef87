package provision

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// drain waits until no session is left on the database, at most
// Config.DrainTimeout, when the Server can see sessions. Instances
// close a tenant's pools once the store no longer holds it and the work
// in flight has finished; this waits for that, and for anything else
// connected (a psql, a report).
func (p *Provisioner) drain(ctx context.Context, log *slog.Logger, name string, exists bool) error {
	sl, ok := p.cfg.Server.(SessionLister)
	switch {
	case !exists:
		return nil
	case !ok:
		log.LogAttrs(ctx, slog.LevelInfo, "not waiting for sessions to end: the server cannot see them")
		return nil
	case p.cfg.DrainTimeout < 0:
		return nil
	}
	timeout := p.cfg.DrainTimeout
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	waited := false
	for {
		ss, err := sl.Sessions(ctx, name)
		if err != nil {
			return err
		}
		if len(ss) == 0 {
			if waited {
				log.LogAttrs(ctx, slog.LevelInfo, "the sessions on the database ended")
			}
			return nil
		}
		if !waited {
			waited = true
			// A warning: something still uses a tenant being deleted.
			log.LogAttrs(ctx, slog.LevelWarn, "waiting for the sessions on the database to end",
				slog.Int("sessions", len(ss)), slog.String("who", sessionList(ss)), slog.Duration("timeout", timeout))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %d on database %q after %v (%s); the tenant is unpublished: run Delete again once they end",
				ErrBusy, len(ss), name, timeout, sessionList(ss))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// sessionList describes up to five sessions.
func sessionList(ss []Session) string {
	const most = 5
	parts := make([]string, 0, most+1)
	for i, s := range ss {
		if i == most {
			parts = append(parts, fmt.Sprintf("and %d more", len(ss)-most))
			break
		}
		app := s.Application
		if app == "" {
			app = "no application_name"
		}
		parts = append(parts, fmt.Sprintf("pid %d user %s (%s) %s", s.PID, s.User, app, s.State))
	}
	return strings.Join(parts, ", ")
}
