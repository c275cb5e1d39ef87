package tenanttask

import "errors"

var (
	// ErrTaskOptions is returned by [Client.Enqueue] for a task built with
	// options (asynq.NewTask(typ, payload, opts...)). asynq keeps them
	// private, so the copy that carries the tenant header would lose
	// them: pass them to Enqueue instead. Nothing is enqueued.
	ErrTaskOptions = errors.New("tenanttask: the task carries options given to asynq.NewTask, which cannot be copied; pass them to Enqueue")

	// ErrOtherTenant is returned by [Client.Enqueue] for a task whose
	// [HeaderTenant] header names another tenant than the context.
	// Nothing is enqueued.
	ErrOtherTenant = errors.New("tenanttask: the task's tenant header names another tenant than the context")
)
