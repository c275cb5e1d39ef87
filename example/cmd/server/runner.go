package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// taskTimeout bounds one task's run.
const taskTimeout = 30 * time.Second

// errRunnerClosed and errQueueFull refuse a task the runner will not run.
var (
	errRunnerClosed = errors.New("server: task runner closed")
	errQueueFull    = errors.New("server: task queue full")
)

// taskFunc is a task handler: the same plain function an asynq worker
// mounts behind the tenanttask middleware.
type taskFunc func(ctx context.Context, payload []byte) error

// job is one task waiting to run, with the tenant it was enqueued for.
type job struct {
	tenant  string
	typ     string
	payload []byte
}

// registry says which tenants exist (the resolver does).
type registry interface {
	Has(id string) bool
}

// runner is the embedded default's task runner: a few goroutines that
// run queued tasks, each with the tenant it was enqueued for in its
// context. Close stops taking tasks, runs those queued and waits.
type runner struct {
	handlers map[string]taskFunc
	reg      registry
	log      *slog.Logger
	jobs     chan job
	wg       sync.WaitGroup

	mu     sync.RWMutex
	closed bool
}

// newRunner starts workers goroutines over a queue of depth tasks.
func newRunner(workers, depth int, reg registry, handlers map[string]taskFunc, log *slog.Logger) *runner {
	r := &runner{handlers: handlers, reg: reg, log: log, jobs: make(chan job, depth)}
	r.wg.Add(workers)
	for range workers {
		go r.work()
	}
	return r
}

// Enqueue queues a task for the tenant of ctx. It refuses a context
// with no tenant, an unknown task type, a full queue and a closed
// runner, and queues nothing then.
func (r *runner) Enqueue(ctx context.Context, typ string, payload []byte) error {
	id, ok := tenant.FromContext(ctx)
	if !ok {
		return fmt.Errorf("server: enqueue %s: %w", typ, tenant.ErrMissing)
	}
	if _, ok := r.handlers[typ]; !ok {
		return fmt.Errorf("server: enqueue: unknown task type %q", typ)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return errRunnerClosed
	}
	select {
	case r.jobs <- job{tenant: id, typ: typ, payload: payload}:
		return nil
	default:
		return errQueueFull
	}
}

// work runs tasks until the queue is closed and empty.
func (r *runner) work() {
	defer r.wg.Done()
	for j := range r.jobs {
		r.run(j)
	}
}

// run runs one task as its tenant. A tenant removed since the task was
// queued is refused, never run as another one.
func (r *runner) run(j job) {
	log := r.log.With("task", j.typ, "tenant", j.tenant)
	if !r.reg.Has(j.tenant) {
		log.Warn("task dropped: unknown tenant")
		return
	}
	ctx, cancel := context.WithTimeout(tenant.NewContext(context.Background(), j.tenant), taskTimeout)
	defer cancel()
	if err := r.handlers[j.typ](ctx, j.payload); err != nil {
		log.Error("task failed", "err", err)
		return
	}
	log.Info("task done")
}

// Close stops taking tasks, lets the workers run those queued, and
// waits for them. It may be called more than once.
func (r *runner) Close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.jobs)
	}
	r.mu.Unlock()
	r.wg.Wait()
}
