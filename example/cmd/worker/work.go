package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/example/stack"
	tenanttask "github.com/tenantrouter/tenantplugin/tasks"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// shutdownTimeout is how long running tasks may take to finish at
// shutdown; unfinished ones go back to the queue.
const shutdownTimeout = 10 * time.Second

// uniqueViolation is PostgreSQL's SQLSTATE for a unique constraint
// violated.
const uniqueViolation = "23505"

func newLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// work opens the stack, runs the asynq server on the service's queue
// until ctx is done, then shuts it down (running tasks finish) and
// closes the stack.
func work(ctx context.Context, s settings, log *slog.Logger, ready func()) (err error) {
	st, err := stack.Open(ctx, stack.Config{
		RedisURL:    s.redisURL,
		DatabaseURL: s.databaseURL,
		Service:     s.service,
		Logger:      log,
	})
	if errors.Is(err, stack.ErrConfig) {
		return usageError{err.Error()}
	}
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	mux, err := newMux(st, log)
	if err != nil {
		return err
	}
	rdb := st.NewRedisClient()
	defer func() { err = errors.Join(err, rdb.Close()) }()
	// Started after tenantsync has loaded the store (stack.Open): a task
	// of a tenant the worker has not heard of would be archived.
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:     s.concurrency,
		Queues:          map[string]int{st.Queue(): 1},
		ShutdownTimeout: shutdownTimeout,
		Logger:          stack.AsynqLogger(log),
		LogLevel:        asynq.WarnLevel,
	})
	if err := srv.Start(mux); err != nil {
		return err
	}
	log.Info("working", "service", s.service, "queue", st.Queue(), "concurrency", s.concurrency, "tenants", len(st.Resolver.Tenants()))
	if ready != nil {
		ready()
	}
	<-ctx.Done()
	log.Info("shutting down")
	srv.Shutdown()
	return nil
}

// newMux mounts the tenants' task handlers, each behind
// tenanttask.Middleware.
func newMux(st *stack.Stack, log *slog.Logger) (*asynq.ServeMux, error) {
	mw, err := tenanttask.Middleware(st.Resolver)
	if err != nil {
		return nil, err
	}
	mux := asynq.NewServeMux()
	mux.Handle(hospital.TaskAddPatient, mw(taskHandler(hospital.TaskAddPatient, hospital.AddPatientHandler(st.DB), log)))
	return mux, nil
}

// taskHandler adapts a plain task function to asynq, logging each run.
// A payload that does not decode and a unique violation (the patient's
// email is the tenant's already) are not retried: a retry would fail
// the same way.
func taskHandler(typ string, fn func(ctx context.Context, payload []byte) error, log *slog.Logger) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		id, _ := tenant.FromContext(ctx)
		l := log.With("task", typ, "tenant", id)
		err := fn(ctx, t.Payload())
		var (
			pe  *pgconn.PgError
			se  *json.SyntaxError
			ute *json.UnmarshalTypeError
		)
		switch {
		case err == nil:
			l.Info("task done")
			return nil
		case errors.As(err, &pe) && pe.Code == uniqueViolation:
			l.Warn("task refused: duplicate", "err", err)
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		case errors.As(err, &se), errors.As(err, &ute):
			l.Error("task refused: bad payload", "err", err)
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		l.Error("task failed", "err", err)
		return err
	})
}
