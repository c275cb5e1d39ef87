package tenanttask_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	tenanttask "github.com/tenantrouter/tenantplugin/tasks"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// ExampleClient_Enqueue enqueues a task for the tenant of the context;
// without a tenant, nothing is enqueued.
func ExampleClient_Enqueue() {
	mr, err := miniredis.Run() // an in-process Redis, for the example
	if err != nil {
		panic(err)
	}
	defer mr.Close()
	raw := asynq.NewClient(asynq.RedisClientOpt{Addr: mr.Addr()})
	defer raw.Close()

	tc, err := tenanttask.NewClient(raw)
	if err != nil {
		panic(err)
	}
	ctx := tenant.NewContext(context.Background(), "acme") // as tenantchi's middleware does
	info, err := tc.Enqueue(ctx, asynq.NewTask("report:send", []byte(`{"month":"2026-11"}`)), asynq.Queue("reports"))
	if err != nil {
		panic(err)
	}
	fmt.Println(info.Queue, info.Type, info.Headers[tenanttask.HeaderTenant])

	_, err = tc.Enqueue(context.Background(), asynq.NewTask("report:send", nil))
	fmt.Println(errors.Is(err, tenant.ErrMissing))
	// Output:
	// reports report:send acme
	// true
}

// ExampleMiddleware shows what a handler behind the middleware sees:
// the tenant of the task's header in its context. A task without one
// never reaches it, and asynq archives it instead of retrying.
func ExampleMiddleware() {
	reg := staticTenants{"acme"} // *resolver.Resolver in an application
	mw, err := tenanttask.Middleware(reg)
	if err != nil {
		panic(err)
	}
	handler := mw(asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		id, _ := tenant.FromContext(ctx)
		fmt.Println("runs as", id) // db.WithContext(ctx) goes to acme's database
		return nil
	}))

	ctx := context.Background()
	stamped := asynq.NewTaskWithHeaders("report:send", nil, map[string]string{tenanttask.HeaderTenant: "acme"})
	fmt.Println(handler.ProcessTask(ctx, stamped))

	err = handler.ProcessTask(ctx, asynq.NewTask("report:send", nil))
	fmt.Println(err)
	fmt.Println(errors.Is(err, tenant.ErrMissing), errors.Is(err, asynq.SkipRetry))

	gone := asynq.NewTaskWithHeaders("report:send", nil, map[string]string{tenanttask.HeaderTenant: "globex"})
	fmt.Println(errors.Is(handler.ProcessTask(ctx, gone), tenant.ErrUnknown))
	// Output:
	// runs as acme
	// <nil>
	// tenanttask: task "report:send" refused: no tenantplugin-tenant header: tenant: no tenant in context (skip retry for the task)
	// true true
	// true
}

// ExampleFanOut wires a worker: a scheduler enqueues the fan-out task
// every night, with no tenant; its handler enqueues one report task per
// registered tenant, which runs behind the middleware as its tenant.
// (Not run: it needs Redis and a resolver.)
func ExampleFanOut() {
	var (
		redisOpt   = asynq.RedisClientOpt{Addr: "127.0.0.1:6379"}
		res        = staticTenants{"acme", "globex"} // *resolver.Resolver in an application
		sendReport = func(ctx context.Context, task *asynq.Task) error {
			return nil // db.WithContext(ctx)... reaches the tenant's database
		}
	)
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	tc, err := tenanttask.NewClient(client)
	if err != nil {
		panic(err)
	}
	fan, err := tenanttask.FanOut(tc, res, func(ctx context.Context, id string) (*asynq.Task, error) {
		return asynq.NewTask("report:send", nil), nil
	}, asynq.Queue("reports"))
	if err != nil {
		panic(err)
	}
	mw, err := tenanttask.Middleware(res)
	if err != nil {
		panic(err)
	}
	mux := asynq.NewServeMux()
	mux.Handle("report:fanout", fan)                             // no tenant: not behind the middleware
	mux.Handle("report:send", mw(asynq.HandlerFunc(sendReport))) // as the task's tenant

	srv := asynq.NewServer(redisOpt, asynq.Config{Queues: map[string]int{"default": 1, "reports": 1}})
	if err := srv.Start(mux); err != nil {
		panic(err)
	}
	defer srv.Shutdown()

	scheduler := asynq.NewScheduler(redisOpt, nil) // one per deployment
	if _, err := scheduler.Register("@daily", asynq.NewTask("report:fanout", nil), asynq.MaxRetry(3)); err != nil {
		panic(err)
	}
	if err := scheduler.Start(); err != nil {
		panic(err)
	}
	defer scheduler.Shutdown()
}
