package tenantsync

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// minTogether is the fewest new tenants worth setting together.
const minTogether = 64

// setNewTogether sets the tenants of recs that the target does not serve
// yet on several goroutines, one per CPU, and returns each one's
// outcome, for putTarget to take instead of setting it again. A boot is
// mostly that: the resolver checks each config (it parses its DSN),
// which takes most of a boot's time. Only a *resolver.Resolver target is
// set so, being safe for concurrent use; another Target is called from
// one goroutine, as documented, and this returns nil. The goroutines
// end before it returns. When two of the tenants name one database, it
// undoes them and returns nil too (see below).
func (s *Syncer) setNewTogether(ctx context.Context, ids []string, recs map[string]tenantconfig.SummedRecord) map[string]error {
	if _, ok := s.target.(*resolver.Resolver); !ok || runtime.GOMAXPROCS(0) < 2 {
		return nil
	}
	todo := make([]string, 0, len(ids))
	dbs := make([]tenantconfig.Database, 0, len(ids))
	for _, id := range ids {
		rec, ok := recs[id]
		if _, serving := s.applied[id]; !ok || serving {
			continue
		}
		db, ok := rec.Config.Database(s.opt.orm, s.opt.alias)
		if !ok {
			continue // refused by putTarget
		}
		db.Version = rec.Version
		todo = append(todo, id)
		dbs = append(dbs, db)
	}
	if len(todo) < minTogether {
		return nil
	}
	errs := make([]error, len(todo))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(todo)/minTogether*2) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(todo) {
					return
				}
				actx, cancel := s.opt.applyContext(ctx)
				errs[i] = s.setTarget(actx, todo[i], dbs[i])
				cancel()
			}
		}()
	}
	wg.Wait()
	if slices.ContainsFunc(errs, func(err error) bool { return errors.Is(err, resolver.ErrDatabaseShared) }) {
		// Two of them name one database: whichever Set ran first got
		// it. Undo them all, and let putTarget set them one by one, in
		// order, so that every instance serves it to the same tenant.
		for i, err := range errs {
			if err == nil {
				_ = s.target.Remove(ctx, todo[i])
			}
		}
		return nil
	}
	out := make(map[string]error, len(todo))
	for i, id := range todo {
		out[id] = errs[i]
	}
	return out
}
