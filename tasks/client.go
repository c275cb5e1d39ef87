package tenanttask

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"

	"github.com/hibiken/asynq"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// HeaderTenant is the task header that carries the tenant id.
const HeaderTenant = "tenantplugin-tenant"

// Client enqueues tasks for the tenant of the context. It wraps an
// *asynq.Client, which the caller still owns and closes.
type Client struct {
	c *asynq.Client
}

// NewClient returns a Client that enqueues through c. A nil c is an
// error.
func NewClient(c *asynq.Client) (*Client, error) {
	if c == nil {
		return nil, errors.New("tenanttask: NewClient needs an *asynq.Client, got nil")
	}
	return &Client{c: c}, nil
}

// Enqueue enqueues a copy of task that carries the tenant of ctx in its
// [HeaderTenant] header, with asynq's options (asynq.Queue,
// asynq.ProcessIn, asynq.MaxRetry, ...); ctx also bounds the enqueue
// itself, as in asynq.Client.EnqueueContext. The task's other headers
// are kept.
//
// It enqueues nothing and returns an error wrapping
// [tenant.ErrMissing] when ctx has no tenant, [tenant.ErrInvalidID] when
// its tenant is not a valid id, [ErrOtherTenant] when the task's header
// already names another tenant, and [ErrTaskOptions] when the task was
// built with options. Whether the tenant is registered is checked by
// the worker's [Middleware], when the task runs.
func (c *Client) Enqueue(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	stamped, err := stamp(ctx, task)
	if err != nil {
		return nil, err
	}
	info, err := c.c.EnqueueContext(ctx, stamped, opts...)
	if err != nil {
		return nil, enqueueError(stamped, opts, err)
	}
	return info, nil
}

// stamp returns a copy of task with the tenant of ctx in its header.
func stamp(ctx context.Context, task *asynq.Task) (*asynq.Task, error) {
	id, ok := tenant.FromContext(ctx)
	if !ok {
		return nil, fmt.Errorf("tenanttask: enqueue: %w", tenant.ErrMissing)
	}
	if err := tenant.ValidateID(id); err != nil {
		return nil, fmt.Errorf("tenanttask: enqueue: %w", err)
	}
	if task == nil {
		return nil, errors.New("tenanttask: enqueue: nil task")
	}
	if hasOptions(task) {
		return nil, fmt.Errorf("%w (task type %q)", ErrTaskOptions, task.Type())
	}
	if have, ok := task.Headers()[HeaderTenant]; ok && have != id {
		return nil, fmt.Errorf("%w: header %q, context %q", ErrOtherTenant, have, id)
	}
	h := make(map[string]string, len(task.Headers())+1)
	maps.Copy(h, task.Headers())
	h[HeaderTenant] = id
	return asynq.NewTaskWithHeaders(task.Type(), task.Payload(), h), nil
}

// hasOptions reports whether task was built with options, which asynq
// keeps in an unexported field and a copy cannot carry. A Task without
// that field (another asynq version) counts as having some: better
// refuse than drop a queue or a retry limit silently.
func hasOptions(task *asynq.Task) bool {
	f := reflect.ValueOf(task).Elem().FieldByName("opts")
	return !f.IsValid() || f.Kind() != reflect.Slice || f.Len() > 0
}

// enqueueError names the likely cause of asynq.ErrDuplicateTask when
// asynq.Unique was given: asynq's uniqueness ignores headers, so the
// same task of another tenant counts as a duplicate.
func enqueueError(task *asynq.Task, opts []asynq.Option, err error) error {
	id := task.Headers()[HeaderTenant]
	if errors.Is(err, asynq.ErrDuplicateTask) {
		for _, o := range opts {
			if o != nil && o.Type() == asynq.UniqueOpt {
				return fmt.Errorf("tenanttask: enqueue for tenant %q: %w (asynq.Unique keys by queue, type and payload, not by tenant: the same task of another tenant counts too)", id, err)
			}
		}
	}
	return fmt.Errorf("tenanttask: enqueue for tenant %q: %w", id, err)
}
