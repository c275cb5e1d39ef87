package tenanttask

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// DefaultFanOutRetention is how long each tenant's task of a fan-out is
// kept once done, unless FanOut is given an asynq.Retention: while it
// is kept, a retry of the same fan-out does not enqueue it again.
const DefaultFanOutRetention = 24 * time.Hour

// Lister lists the tenants a fan-out runs for; *resolver.Resolver is
// one. Tenants is called once per fan-out run.
type Lister interface {
	Tenants() []string
}

// TaskFunc builds the task of one tenant of a fan-out. Its context
// carries the tenant. The task must be built without options (give them
// to [FanOut]).
type TaskFunc func(ctx context.Context, id string) (*asynq.Task, error)

// FanOut returns the handler of a fan-out task: a task with no tenant,
// typically enqueued by an asynq.Scheduler, that enqueues through c one
// task per tenant of l, built by newTask, with opts.
//
// Each tenant's task gets the task id "<fan-out task id>/<tenant>" and,
// unless opts hold an asynq.Retention, [DefaultFanOutRetention]: when
// the fan-out fails half-way (an enqueue or newTask fails) and asynq
// retries it, the tenants already enqueued are not enqueued again,
// whether their task is still queued or done within the retention. The
// fan-out fails, and is retried, when an enqueue or newTask fails; when
// every failure is an invalid tenant id, which a retry cannot cure, the
// error wraps [asynq.SkipRetry].
//
// It returns an error, and no handler, when c, l or newTask is nil, or
// opts hold an asynq.TaskID (the fan-out sets it) or an asynq.Unique
// (its key ignores the tenant: the tenants' identical tasks would be
// one).
func FanOut(c *Client, l Lister, newTask TaskFunc, opts ...asynq.Option) (asynq.Handler, error) {
	switch {
	case c == nil:
		return nil, errors.New("tenanttask: FanOut needs a *Client, got nil")
	case isNil(l):
		return nil, fmt.Errorf("tenanttask: FanOut needs a Lister, got %T(nil)", l)
	case newTask == nil:
		return nil, errors.New("tenanttask: FanOut needs a TaskFunc, got nil")
	}
	retention := true
	for i, o := range opts {
		switch {
		case o == nil:
			return nil, fmt.Errorf("tenanttask: FanOut: option %d is nil", i)
		case o.Type() == asynq.TaskIDOpt:
			return nil, fmt.Errorf("tenanttask: FanOut: %v: the fan-out sets each tenant's task id", o)
		case o.Type() == asynq.UniqueOpt:
			return nil, fmt.Errorf("tenanttask: FanOut: %v: asynq's unique key ignores the tenant, so the tenants' tasks would be one; the fan-out's task ids already keep a retry from enqueueing twice", o)
		case o.Type() == asynq.RetentionOpt:
			retention = false
		}
	}
	base := slices.Clip(slices.Clone(opts))
	if retention {
		base = append(base, asynq.Retention(DefaultFanOutRetention))
		base = slices.Clip(base)
	}
	f := &fanOut{c: c, l: l, newTask: newTask, opts: base}
	return asynq.HandlerFunc(f.run), nil
}

type fanOut struct {
	c       *Client
	l       Lister
	newTask TaskFunc
	opts    []asynq.Option // never appended to in place: clipped
}

func (f *fanOut) run(ctx context.Context, task *asynq.Task) error {
	runID, ok := asynq.GetTaskID(ctx)
	if !ok {
		return fmt.Errorf("tenanttask: fan-out %q: no task id in the context (not run by an asynq.Server)", task.Type())
	}
	ids := slices.Clone(f.l.Tenants())
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var errs []error
	permanent := true
	for _, id := range ids {
		err := f.one(ctx, runID, id)
		if err == nil {
			continue
		}
		errs = append(errs, err)
		if !errors.Is(err, tenant.ErrInvalidID) {
			permanent = false
		}
	}
	if len(errs) == 0 {
		return nil
	}
	err := fmt.Errorf("tenanttask: fan-out %q: %d of %d tenants failed: %w", task.Type(), len(errs), len(ids), errors.Join(errs...))
	if permanent {
		return fmt.Errorf("%w (%w)", err, asynq.SkipRetry)
	}
	return err
}

// one enqueues the task of tenant id for the fan-out run runID. A task
// already enqueued by an earlier attempt of the same run is success.
func (f *fanOut) one(ctx context.Context, runID, id string) error {
	if err := tenant.ValidateID(id); err != nil {
		return &tenant.Error{ID: id, Err: err}
	}
	tctx := tenant.NewContext(ctx, id)
	t, err := f.newTask(tctx, id)
	if err != nil {
		return &tenant.Error{ID: id, Err: err}
	}
	if t == nil {
		return &tenant.Error{ID: id, Err: errors.New("TaskFunc returned a nil task")}
	}
	_, err = f.c.Enqueue(tctx, t, append(f.opts, asynq.TaskID(runID+"/"+id))...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return err // it names the tenant
	}
	return nil
}
