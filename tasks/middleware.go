package tenanttask

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/hibiken/asynq"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// Registry tells which tenants exist; *resolver.Resolver is one. Has is
// called from every task's goroutine and must be safe for concurrent
// use.
type Registry interface {
	Has(id string) bool
}

// Middleware returns asynq middleware that runs each task with the
// tenant of its [HeaderTenant] header in the context
// ([tenant.NewContext]), whatever tenant the context had before. Mount
// it with (*asynq.ServeMux).Use, or wrap single handlers with it.
//
// A task with no header, an invalid id, or a tenant reg does not have
// is refused: the handler does not run and the error wraps
// [asynq.SkipRetry], so asynq archives the task without retrying it.
// When the handler fails with an error wrapping [tenant.ErrUnknown] and
// the tenant is gone from reg (removed while the task ran), the error
// is wrapped in asynq.SkipRetry too.
//
// It returns an error, and no middleware, if reg is nil (a typed nil
// such as a nil *resolver.Resolver too).
func Middleware(reg Registry) (asynq.MiddlewareFunc, error) {
	if isNil(reg) {
		if reg == nil {
			return nil, errors.New("tenanttask: Middleware needs a Registry, got nil")
		}
		return nil, fmt.Errorf("tenanttask: Middleware needs a Registry, got a nil %T", reg)
	}
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
			id, err := taskTenant(reg, task)
			if err != nil {
				return fmt.Errorf("tenanttask: task %q refused: %w (%w)", task.Type(), err, asynq.SkipRetry)
			}
			err = next.ProcessTask(tenant.NewContext(ctx, id), task)
			if err != nil && errors.Is(err, tenant.ErrUnknown) && !errors.Is(err, asynq.SkipRetry) && !reg.Has(id) {
				return fmt.Errorf("tenanttask: tenant %q removed while task %q ran: %w (%w)", id, task.Type(), err, asynq.SkipRetry)
			}
			return err
		})
	}, nil
}

// taskTenant returns the tenant the task was enqueued for, checked.
func taskTenant(reg Registry, task *asynq.Task) (string, error) {
	id, ok := task.Headers()[HeaderTenant]
	if !ok {
		return "", fmt.Errorf("no %s header: %w", HeaderTenant, tenant.ErrMissing)
	}
	if err := tenant.ValidateID(id); err != nil {
		return "", err
	}
	if !reg.Has(id) {
		return "", &tenant.Error{ID: id, Err: tenant.ErrUnknown}
	}
	return id, nil
}

// isNil reports whether v is nil, or a typed nil such as a nil
// *resolver.Resolver, whose methods would fail on the first task.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
