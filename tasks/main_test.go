package tenanttask_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	tenanttask "github.com/tenantrouter/tenantplugin/tasks"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// GORM's own statement cache (made for sessions with PrepareStmt,
		// never used by the plugin) starts a cleanup goroutine it never
		// stops.
		goleak.IgnoreAnyFunction("gorm.io/gorm/internal/lru.NewLRU[...].func1"))
}

// quiet is an asynq.Logger that drops everything.
type quiet struct{}

func (quiet) Debug(...any) {}
func (quiet) Info(...any)  {}
func (quiet) Warn(...any)  {}
func (quiet) Error(...any) {}
func (quiet) Fatal(...any) {}

var _ asynq.Logger = quiet{}

var queueSeq atomic.Int64

// harness is a queue of its own on the test Redis, with a plain asynq
// client, a tenanttask client and an inspector. The queue's keys are
// deleted when the test ends.
type harness struct {
	t      *testing.T
	opt    asynq.RedisConnOpt
	queue  string
	raw    *asynq.Client
	client *tenanttask.Client
	insp   *asynq.Inspector
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	opt, err := asynq.ParseRedisURI(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, opt: opt, queue: fmt.Sprintf("tenanttask-test-%d-%d", os.Getpid(), queueSeq.Add(1))}
	h.raw = asynq.NewClient(opt)
	h.insp = asynq.NewInspector(opt)
	c := opt.MakeRedisClient()
	rdb, ok := c.(redis.UniversalClient)
	if !ok {
		t.Fatalf("MakeRedisClient returned %T", c)
	}
	t.Cleanup(func() {
		// Registered first, so it runs last: after every server stopped.
		if err := h.insp.DeleteQueue(h.queue, true); err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Errorf("delete queue: %v", err)
		}
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, "asynq:{"+h.queue+"}:*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("scan: %v", err)
		}
		rdb.SRem(ctx, "asynq:queues", h.queue)
		_ = rdb.Close()
		_ = h.insp.Close()
		_ = h.raw.Close()
	})
	h.client, err = tenanttask.NewClient(h.raw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// serve runs an asynq.Server on the harness's queue until the test
// ends. Retries are due at once and checked for every 100 ms.
func (h *harness) serve(handler asynq.Handler) {
	h.t.Helper()
	srv := asynq.NewServer(h.opt, asynq.Config{
		Concurrency:              4,
		Queues:                   map[string]int{h.queue: 1},
		TaskCheckInterval:        20 * time.Millisecond,
		DelayedTaskCheckInterval: 100 * time.Millisecond,
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 0 },
		ShutdownTimeout:          10 * time.Second,
		Logger:                   quiet{},
	})
	if err := srv.Start(handler); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(srv.Shutdown)
}

// waitFor polls cond until it holds. No event tells when asynq moved a
// task to another state, so polling the inspector is the only way.
func waitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := until(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// until polls cond every 20 ms until it holds, fails, or ctx ends.
func until(ctx context.Context, cond func() (bool, error)) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitState waits until the task is in state want. A task seen in
// retry state when archived is wanted fails at once.
func (h *harness) waitState(id string, want asynq.TaskState) *asynq.TaskInfo {
	h.t.Helper()
	var info *asynq.TaskInfo
	waitFor(h.t, fmt.Sprintf("task %s %v", id, want), func() (bool, error) {
		var err error
		info, err = h.insp.GetTaskInfo(h.queue, id)
		if err != nil {
			return false, err
		}
		if want == asynq.TaskStateArchived && info.State == asynq.TaskStateRetry {
			return false, fmt.Errorf("task %s is to be retried (%s)", id, info.LastErr)
		}
		return info.State == want, nil
	})
	return info
}

// waitDrained waits until the queue holds no task left to run.
func (h *harness) waitDrained() {
	h.t.Helper()
	waitFor(h.t, "queue drained", func() (bool, error) {
		qi, err := h.insp.GetQueueInfo(h.queue)
		if err != nil {
			return false, err
		}
		return qi.Pending+qi.Active+qi.Scheduled+qi.Retry+qi.Aggregating == 0, nil
	})
}
