package tenanttask_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	tenanttask "github.com/tenantrouter/tenantplugin/tasks"
	"github.com/tenantrouter/tenantplugin/tenant"
)

const typeFanOut = "hospital:fanout"

// fanOutMux serves the fan-out (without tenant) and the hospital task
// (wrapped in the middleware).
func fanOutMux(t *testing.T, e *fixture.Env, fan asynq.Handler, log *runLog) *asynq.ServeMux {
	t.Helper()
	mw, err := tenanttask.Middleware(e.Resolver)
	if err != nil {
		t.Fatal(err)
	}
	mux := asynq.NewServeMux()
	mux.Handle(typeFanOut, fan)
	mux.Handle(typeCreateHospital, mw(hospitalHandler(e, log)))
	return mux
}

// collect waits for want successful runs and a drained queue, and
// returns the runs per tenant, failed ones too.
func collect(t *testing.T, h *harness, log *runLog, want int) map[string]int {
	t.Helper()
	log.waitOK(t, want)
	h.waitDrained()
	return log.perTenant()
}

// TestFanOutFromScheduler has an asynq.Scheduler enqueue the fan-out
// task: it enqueues one task per registered tenant, each run as its
// tenant.
func TestFanOutFromScheduler(t *testing.T) {
	e := newTenants(t)
	h := newHarness(t)
	fan, err := tenanttask.FanOut(h.client, e.Resolver, func(ctx context.Context, id string) (*asynq.Task, error) {
		if got, _ := tenant.FromContext(ctx); got != id {
			return nil, fmt.Errorf("TaskFunc's context carries tenant %q, want %q", got, id)
		}
		return createHospitalTask("daily report of " + id), nil
	}, asynq.Queue(h.queue))
	if err != nil {
		t.Fatal(err)
	}
	log := newRunLog()
	h.serve(fanOutMux(t, e, fan, log))

	var enqueued atomic.Int64
	first := make(chan struct{})
	var once sync.Once
	sched := asynq.NewScheduler(h.opt, &asynq.SchedulerOpts{
		Logger: quiet{},
		PostEnqueueFunc: func(_ *asynq.TaskInfo, err error) {
			if err != nil {
				t.Errorf("scheduler enqueue: %v", err)
				return
			}
			enqueued.Add(1)
			once.Do(func() { close(first) })
		},
	})
	if _, err := sched.Register("@every 1s", asynq.NewTask(typeFanOut, nil), asynq.Queue(h.queue), asynq.MaxRetry(3)); err != nil {
		t.Fatal(err)
	}
	if err := sched.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-first:
	case <-time.After(30 * time.Second):
		sched.Shutdown()
		t.Fatal("the scheduler enqueued nothing")
	}
	sched.Shutdown()
	n := int(enqueued.Load()) // 1, unless the machine stalled a second
	t.Logf("the scheduler enqueued %d fan-outs", n)
	got := collect(t, h, log, n*len(e.Tenants))
	for _, id := range e.Tenants {
		if got[id] != n {
			t.Errorf("tenant %s's task ran %d times for %d fan-outs", id, got[id], n)
		}
		names := hospitalNames(t, e, id)
		if len(names) != n || names[0] != "daily report of "+id {
			t.Errorf("tenant %s holds %q after %d fan-outs", id, names, n)
		}
	}
	if len(got) != len(e.Tenants) {
		t.Errorf("runs per tenant %v", got)
	}
}

// TestFanOutRetriedEnqueuesOnce fails the fan-out after two of three
// tenants' tasks were enqueued and had run to completion; asynq retries
// it, and the retry enqueues only the third tenant's task.
func TestFanOutRetriedEnqueuesOnce(t *testing.T) {
	e := newTenants(t)
	h := newHarness(t)
	log := newRunLog()
	var attempts atomic.Int64
	var fanID string // set before the server starts
	dbs := map[string]*sql.DB{"t00": e.OpenTenantDB(t, "t00"), "t01": e.OpenTenantDB(t, "t01")}
	// Unsorted, with a duplicate: the fan-out goes in id order, once per
	// tenant.
	tenants := staticTenants{"t02", "t00", "t01", "t00"}
	fan, err := tenanttask.FanOut(h.client, tenants, func(ctx context.Context, id string) (*asynq.Task, error) {
		if n, _ := asynq.GetRetryCount(ctx); n == 0 && id == "t02" {
			attempts.Add(1)
			// t00 and t01 were enqueued before (tenants go in id
			// order): fail once they are done, so that the retry finds
			// them done, not queued.
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			for _, done := range []string{"t00", "t01"} {
				err := until(ctx, func() (bool, error) {
					info, err := h.insp.GetTaskInfo(h.queue, fanID+"/"+done)
					switch {
					case errors.Is(err, asynq.ErrTaskNotFound): // done and deleted, or not enqueued
						var n int
						return n > 0, dbs[done].QueryRowContext(ctx, "SELECT count(*) FROM hospitals").Scan(&n)
					case err != nil:
						return false, err
					}
					return info.State == asynq.TaskStateCompleted, nil
				})
				if err != nil {
					t.Errorf("waiting for %s's task: %v", done, err)
					return nil, err
				}
			}
			return nil, errors.New("injected failure")
		}
		return createHospitalTask("report of " + id), nil
	}, asynq.Queue(h.queue))
	if err != nil {
		t.Fatal(err)
	}
	info, err := h.raw.Enqueue(asynq.NewTask(typeFanOut, nil), asynq.Queue(h.queue), asynq.MaxRetry(3), asynq.Retention(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	fanID = info.ID
	h.serve(fanOutMux(t, e, fan, log))

	done := h.waitState(fanID, asynq.TaskStateCompleted)
	if done.Retried != 1 || attempts.Load() != 1 {
		t.Fatalf("fan-out completed after %d retries, %d failed attempts; want 1 and 1", done.Retried, attempts.Load())
	}
	got := collect(t, h, log, len(e.Tenants))
	for _, id := range e.Tenants {
		if got[id] != 1 {
			t.Errorf("tenant %s's task ran %d times, want 1", id, got[id])
		}
		if names := hospitalNames(t, e, id); !slices.Equal(names, []string{"report of " + id}) {
			t.Errorf("tenant %s holds %q", id, names)
		}
	}
	completed, err := h.insp.ListCompletedTasks(h.queue)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range completed {
		if c.Type == typeCreateHospital {
			ids = append(ids, c.ID+" "+c.Headers[tenanttask.HeaderTenant])
		}
	}
	slices.Sort(ids)
	want := []string{fanID + "/t00 t00", fanID + "/t01 t01", fanID + "/t02 t02"}
	if !slices.Equal(ids, want) {
		t.Errorf("completed tenant tasks %q, want %q", ids, want)
	}
}

// staticTenants lists fixed tenants and has them all.
type staticTenants []string

func (s staticTenants) Tenants() []string  { return s }
func (s staticTenants) Has(id string) bool { return slices.Contains(s, id) }

// TestFanOutInvalidTenantIsArchived lists a tenant id that cannot be
// valid: the others' tasks are enqueued, and the fan-out is archived,
// since no retry could cure it.
func TestFanOutInvalidTenantIsArchived(t *testing.T) {
	h := newHarness(t)
	tenants := staticTenants{"acme", "bad/id", "globex"}
	fan, err := tenanttask.FanOut(h.client, tenants, func(context.Context, string) (*asynq.Task, error) {
		return asynq.NewTask("count", nil), nil
	}, asynq.Queue(h.queue))
	if err != nil {
		t.Fatal(err)
	}
	mw, err := tenanttask.Middleware(tenants)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	ran := map[string]int{}
	mux := asynq.NewServeMux()
	mux.Handle(typeFanOut, fan)
	mux.Handle("count", mw(asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		id, _ := tenant.FromContext(ctx)
		mu.Lock()
		ran[id]++
		mu.Unlock()
		return nil
	})))
	info, err := h.raw.Enqueue(asynq.NewTask(typeFanOut, nil), asynq.Queue(h.queue))
	if err != nil {
		t.Fatal(err)
	}
	h.serve(mux)
	got := h.waitState(info.ID, asynq.TaskStateArchived)
	if got.Retried != 0 || !strings.Contains(got.LastErr, `1 of 3 tenants failed`) || !strings.Contains(got.LastErr, tenant.ErrInvalidID.Error()) {
		t.Errorf("fan-out archived after %d retries with %q", got.Retried, got.LastErr)
	}
	h.waitDrained()
	mu.Lock()
	defer mu.Unlock()
	if want := map[string]int{"acme": 1, "globex": 1}; fmt.Sprint(ran) != fmt.Sprint(want) {
		t.Errorf("runs %v, want %v", ran, want)
	}
}
