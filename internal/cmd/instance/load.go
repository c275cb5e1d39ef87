package main

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// loadQueryTimeout bounds one load query.
	loadQueryTimeout = 5 * time.Second
	// loggedFailures is how many failures for known tenants are logged;
	// later ones are only counted.
	loggedFailures = 20
)

// loadCounts counts the load's queries.
type loadCounts struct {
	ok, failed, failedKnown atomic.Uint64

	mu        sync.Mutex
	lastKnown string // last failure for a known tenant
}

type loadStats struct {
	OK     uint64 `json:"ok"`
	Failed uint64 `json:"failed"`
	// FailedKnown counts failures for tenants known both before and after
	// the query: failures a client would see for a tenant that exists.
	FailedKnown    uint64 `json:"failed_known"`
	LastKnownError string `json:"last_known_error,omitempty"`
}

func (c *loadCounts) snapshot() loadStats {
	c.mu.Lock()
	last := c.lastKnown
	c.mu.Unlock()
	return loadStats{OK: c.ok.Load(), Failed: c.failed.Load(), FailedKnown: c.failedKnown.Load(), LastKnownError: last}
}

// loadLoop queries every tenant the resolver knows, one after the other,
// pausing opt.loadInterval between queries, until ctx is done.
func (a *app) loadLoop(ctx context.Context, worker int) {
	pause := time.NewTimer(0)
	defer pause.Stop()
	<-pause.C
	sleep := func(d time.Duration) bool {
		pause.Reset(d)
		select {
		case <-ctx.Done():
			return false
		case <-pause.C:
			return true
		}
	}
	for round := worker; ctx.Err() == nil; round++ {
		ids := a.res.Tenants()
		if len(ids) == 0 {
			if !sleep(max(a.opt.loadInterval, 10*time.Millisecond)) {
				return
			}
			continue
		}
		for i := range ids {
			id := ids[(i+round)%len(ids)] // workers start at different tenants
			before := a.res.Has(id)
			qctx, cancel := context.WithTimeout(ctx, loadQueryTimeout)
			_, err := a.where(qctx, id)
			cancel()
			switch {
			case err == nil:
				a.load.ok.Add(1)
			case ctx.Err() != nil:
				return // shutting down
			default:
				a.load.failed.Add(1)
				if before && a.res.Has(id) {
					n := a.load.failedKnown.Add(1)
					a.load.mu.Lock()
					a.load.lastKnown = err.Error()
					a.load.mu.Unlock()
					if n <= loggedFailures {
						a.log.LogAttrs(ctx, slog.LevelWarn, "load query failed for a known tenant",
							slog.String("tenant", id), slog.String("error", err.Error()), slog.Uint64("failures", n))
					}
				}
			}
			if a.opt.loadInterval > 0 && !sleep(a.opt.loadInterval) {
				return
			}
		}
	}
}
