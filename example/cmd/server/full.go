package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/tenantrouter/tenantplugin/example/stack"
	tenanttask "github.com/tenantrouter/tenantplugin/tasks"
)

// taskMaxRetry is how often the worker retries a failed task.
const taskMaxRetry = 5

// openFull builds the Redis mode: the full stack (package example/stack:
// the Redis config store followed by tenantsync, PostgreSQL tenants
// merged over DATABASE_URL, the central database migrated, the cached
// hospital lists), and tasks enqueued on asynq for example/cmd/worker.
func openFull(ctx context.Context, s settings, log *slog.Logger) (_ *app, err error) {
	st, err := stack.Open(ctx, stack.Config{
		RedisURL:    s.redisURL,
		DatabaseURL: s.databaseURL,
		Service:     s.service,
		Logger:      log,
	})
	if errors.Is(err, stack.ErrConfig) {
		return nil, usageError{err.Error()}
	}
	if err != nil {
		return nil, err
	}
	a := &app{db: st.DB, res: st.Resolver, cache: st.Lists, closers: []func() error{st.Close}}
	rdb := st.NewRedisClient()
	a.closers = append(a.closers, rdb.Close)
	tc, err := tenanttask.NewClient(asynq.NewClientFromRedisClient(rdb))
	if err != nil {
		return nil, errors.Join(err, a.close())
	}
	a.tasks = asynqTasks{c: tc, queue: st.Queue()}
	return a, nil
}

// asynqTasks enqueues the handlers' tasks on asynq, for the tenant of
// the request (tenanttask.Client stamps it in the task's header), on
// the service's queue.
type asynqTasks struct {
	c     *tenanttask.Client
	queue string
}

// Enqueue queues a task of type typ for the tenant of ctx.
func (t asynqTasks) Enqueue(ctx context.Context, typ string, payload []byte) error {
	_, err := t.c.Enqueue(ctx, asynq.NewTask(typ, payload), asynq.Queue(t.queue), asynq.MaxRetry(taskMaxRetry))
	return err
}
