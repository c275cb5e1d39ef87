// Package tenanttask binds background tasks of
// [github.com/hibiken/asynq] to the tenant they were enqueued for, so
// that a task's GORM statements go to that tenant's database, as a
// request's do. It lives in the folder tasks/ and is named tenanttask:
//
//	import "github.com/tenantrouter/tenantplugin/tasks" // package tenanttask
//
// # Usage
//
// Enqueue through a [Client]: it stamps the tenant of the context into
// the task's headers ([HeaderTenant]).
//
//	tc, err := tenanttask.NewClient(asynq.NewClient(redisOpt))
//	info, err := tc.Enqueue(r.Context(), asynq.NewTask("report:send", payload), asynq.Queue("reports"))
//
// On the worker, [Middleware] puts the tenant back into the handler's
// context with [tenant.NewContext], so db.WithContext(ctx) reaches the
// tenant's database. Mount it on a mux of tenants' handlers:
//
//	mw, err := tenanttask.Middleware(res) // res.Has says which tenants exist
//	mux := asynq.NewServeMux()
//	mux.Use(mw)
//	mux.HandleFunc("report:send", sendReport)
//
// A periodic task runs for every tenant through a fan-out: an
// asynq.Scheduler enqueues one task with no tenant, whose handler,
// [FanOut], enqueues one task per tenant. The fan-out runs without a
// tenant, so it must not sit behind the middleware (which would archive
// it): wrap the tenants' handlers one by one instead.
//
//	fan, err := tenanttask.FanOut(tc, res, func(ctx context.Context, id string) (*asynq.Task, error) {
//		return asynq.NewTask("report:send", nil), nil
//	}, asynq.Queue("reports"))
//	mux := asynq.NewServeMux()
//	mux.Handle("report:fanout", fan)
//	mux.Handle("report:send", mw(asynq.HandlerFunc(sendReport)))
//	scheduler.Register("@daily", asynq.NewTask("report:fanout", nil), asynq.MaxRetry(3))
//
// Each tenant's task gets the task id "<fan-out task id>/<tenant>" and
// is kept for a while once done ([DefaultFanOutRetention], or the
// asynq.Retention given to FanOut): a fan-out that fails half-way and
// is retried enqueues only the tenants it missed. Keep the fan-out's
// own retries within that time: with asynq's default delays,
// asynq.MaxRetry(3) takes a few minutes, while asynq's default of 25
// retries spans about three weeks. Run one scheduler: two would enqueue
// two fan-out tasks, and each would fan out.
//
// # Trust model
//
// Both sides fail closed. [Client.Enqueue] refuses a context with no
// tenant or an invalid one and enqueues nothing. The middleware refuses
// a task whose header is missing, invalid or names a tenant that is not
// registered (never added, or removed since): the handler does not run,
// no statement is sent, and the error wraps [asynq.SkipRetry], so asynq
// archives the task at once instead of retrying it. It is never run as
// another tenant or without one. An archived task can be run again
// after the cause is fixed (Inspector.RunTask, or "asynq task run").
// A worker that learns its tenants from a config store should start
// its asynq.Server after tenantsync.Start returns (it has loaded the
// store by then): a task of a tenant the worker has not heard of yet is
// archived like one of a removed tenant.
//
// asynq.Unique keys a task by queue, type and payload, not by header:
// identical tasks of two tenants collide and the second gets
// asynq.ErrDuplicateTask. Put the tenant in the payload of tasks that
// use it. Task ids (asynq.TaskID) are per queue, across tenants, too.
// Tasks aggregated by group (asynq.Group) need a group per tenant, and
// an aggregator that puts the tenant in the [HeaderTenant] header of
// the task it builds (asynq.NewTaskWithHeaders).
//
// # Errors
//
// Enqueue returns an error wrapping [tenant.ErrMissing] or
// [tenant.ErrInvalidID] for the context, [ErrTaskOptions] for a task
// built with asynq.NewTask options, and [ErrOtherTenant] for a task
// whose header names another tenant than the context. The middleware's
// errors wrap [tenant.ErrMissing], [tenant.ErrInvalidID] or
// [tenant.ErrUnknown] (in a *[tenant.Error]), and [asynq.SkipRetry].
//
// # Concurrency
//
// Client, the middleware and the fan-out handler are safe for
// concurrent use. Registry.Has, Lister.Tenants and the [TaskFunc] are
// called from asynq's worker goroutines and must be too.
package tenanttask
