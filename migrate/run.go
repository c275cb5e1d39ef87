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
// most o.parallel at once; a tenant whose fn fails is StatusFailed. A
// tenant not started because the run stopped is StatusSkipped, with the
// reason as its error. Each finished tenant is reported to the progress
// function.
func forEach(r *run, tenants []string, fn func(ctx context.Context) (Status, string, error)) *Report {
	report := &Report{Results: make([]Result, len(tenants))}
	sem := make(chan struct{}, r.o.parallel)
	var wg sync.WaitGroup
	for i, id := range tenants {
		res := &report.Results[i]
		res.Tenant = id
		sem <- struct{}{}
		if err := r.stopped(); err != nil {
			<-sem
			res.Status, res.Err = StatusSkipped, err
			r.progress(*res)
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			status, detail, err := fn(tenant.NewContext(r.ctx, id))
			if err != nil {
				status = StatusFailed
			}
			res.Duration = time.Since(start)
			res.Status, res.Detail, res.Err = status, detail, err
			r.finished(*res)
			r.progress(*res)
		}()
	}
	wg.Wait()
	return report
}
