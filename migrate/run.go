package migrate

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// run is the state of one Apply, Check or ForEach: its context, options,
// progress, and whether a database failed.
type run struct {
	ctx    context.Context
	o      options
	mu     sync.Mutex // serialises the progress function
	failed atomic.Bool
}

func newRun(ctx context.Context, o options) *run { return &run{ctx: ctx, o: o} }

// stopped returns why a database not started yet must not start: ctx
// ended, or a database failed under WithFailFast. nil means go.
func (r *run) stopped() error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	if r.o.failFast && r.failed.Load() {
		return ErrStopped
	}
	return nil
}

// finished notes a database's result.
func (r *run) finished(res Result) {
	if res.Status == StatusFailed {
		r.failed.Store(true)
	}
}

// progress reports r as finished to the WithProgress function, one call
// at a time.
func (r *run) progress(res Result) {
	if r.o.progress == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.o.progress(res)
}

// forEach runs fn for each tenant with the tenant in its context, at
// most o.parallel at once, and, when tenants are grouped by server, at
// most o.serverLimit of each server's at once; a tenant whose fn fails
// is StatusFailed. A tenant not started because the run stopped is
// StatusSkipped, with the reason as its error. Each finished tenant is
// reported to the progress function.
func forEach(r *run, tenants []string, fn func(ctx context.Context) (Status, string, error)) *Report {
	report := &Report{Results: make([]Result, len(tenants))}
	sem := make(chan struct{}, r.o.parallel)
	one := func(i int) {
		res := &report.Results[i]
		res.Tenant = tenants[i]
		sem <- struct{}{}
		defer func() { <-sem }()
		if err := r.stopped(); err != nil {
			res.Status, res.Err = StatusSkipped, err
			r.progress(*res)
			return
		}
		start := time.Now()
		status, detail, err := fn(tenant.NewContext(r.ctx, res.Tenant))
		if err != nil {
			status = StatusFailed
		}
		res.Duration = time.Since(start)
		res.Status, res.Detail, res.Err = status, detail, err
		r.finished(*res)
		r.progress(*res)
	}
	var wg sync.WaitGroup
	for _, group := range r.groups(tenants) {
		var next atomic.Int64
		for range group.workers {
			wg.Go(func() {
				for {
					k := int(next.Add(1)) - 1
					if k >= len(group.tenants) {
						return
					}
					one(group.tenants[k])
				}
			})
		}
	}
	wg.Wait()
	return report
}

// group is tenants (indexes into the run's list) that share a limit.
type group struct {
	tenants []int
	workers int
}

// groups splits the tenants by database server, in the order of their
// first tenant, each with its server's limit; without grouping, one
// group with the run's.
func (r *run) groups(tenants []string) []group {
	if r.o.serverOf == nil {
		all := make([]int, len(tenants))
		for i := range all {
			all[i] = i
		}
		return []group{{tenants: all, workers: min(r.o.parallel, len(tenants))}}
	}
	var (
		out   []group
		index = map[string]int{}
		names []string
	)
	for i, id := range tenants {
		server, _ := r.o.serverOf(id) // an unknown tenant fails in fn
		k, ok := index[server]
		if !ok {
			k = len(out)
			index[server] = k
			out = append(out, group{})
			names = append(names, server)
		}
		out[k].tenants = append(out[k].tenants, i)
	}
	for k := range out {
		out[k].workers = min(r.o.serverLimit(names[k]), len(out[k].tenants))
	}
	return out
}
