package tenanttask_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	tenanttask "github.com/tenantrouter/tenantplugin/tasks"
	"github.com/tenantrouter/tenantplugin/tenant"
)

const typeCreateHospital = "hospital:create"

// newTenants returns three PostgreSQL tenants, t00 to t02, with the
// example's tenant tables.
func newTenants(t *testing.T) *fixture.Env {
	t.Helper()
	e := fixture.New(t, fixture.Postgres, fixture.Options{
		Tenants:    3,
		Strategies: []tenantplugin.Strategy{hospital.Strategy()},
	})
	for _, id := range e.Tenants {
		if err := e.DB.WithContext(e.Ctx(id)).AutoMigrate(hospital.TenantModels()...); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

type createHospital struct {
	Name string `json:"name"`
}

func createHospitalTask(name string) *asynq.Task {
	b, _ := json.Marshal(createHospital{Name: name}) // a struct of one string: cannot fail
	return asynq.NewTask(typeCreateHospital, b)
}

// run is one run of the hospital handler.
type run struct {
	tenant, name string
	err          error
}

// runLog records every run of the hospital handler, failed ones too.
type runLog struct {
	mu   sync.Mutex
	runs []run
	ok   chan struct{} // a value per successful run
}

func newRunLog() *runLog { return &runLog{ok: make(chan struct{}, 64)} }

func (l *runLog) add(r run) {
	l.mu.Lock()
	l.runs = append(l.runs, r)
	l.mu.Unlock()
	if r.err == nil {
		l.ok <- struct{}{}
	}
}

// waitOK waits for n successful runs.
func (l *runLog) waitOK(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for range n {
		select {
		case <-l.ok:
		case <-timeout:
			t.Fatalf("timed out waiting for %d successful runs: %v", n, l.all())
		}
	}
}

func (l *runLog) all() []run {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.runs)
}

// perTenant counts the runs of each tenant, failed ones too.
func (l *runLog) perTenant() map[string]int {
	n := map[string]int{}
	for _, r := range l.all() {
		n[r.tenant]++
	}
	return n
}

// hospitalHandler creates the hospital of the payload in the database
// of the context's tenant, and logs each run.
func hospitalHandler(e *fixture.Env, log *runLog) asynq.HandlerFunc {
	return func(ctx context.Context, task *asynq.Task) error {
		var p createHospital
		if err := json.Unmarshal(task.Payload(), &p); err != nil {
			return fmt.Errorf("payload: %w (%w)", err, asynq.SkipRetry)
		}
		err := e.DB.WithContext(ctx).Create(&hospital.Hospital{Name: p.Name}).Error
		id, _ := tenant.FromContext(ctx)
		log.add(run{tenant: id, name: p.Name, err: err})
		return err
	}
}

// hospitalNames reads the hospitals of tenant id with a connection of
// its own, around the plugin.
func hospitalNames(t *testing.T, e *fixture.Env, id string) []string {
	t.Helper()
	rows, err := e.OpenTenantDB(t, id).QueryContext(t.Context(), "SELECT name FROM hospitals ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// TestTasksRunAsTheirTenant enqueues a task for each of three tenants:
// the tenant travels in the task's header only (the payload names the
// hospital), and each hospital lands in its tenant's own database.
func TestTasksRunAsTheirTenant(t *testing.T) {
	e := newTenants(t)
	h := newHarness(t)
	mw, err := tenanttask.Middleware(e.Resolver)
	if err != nil {
		t.Fatal(err)
	}
	log := newRunLog()
	mux := asynq.NewServeMux()
	mux.Use(mw)
	mux.Handle(typeCreateHospital, hospitalHandler(e, log))

	for _, id := range e.Tenants {
		info, err := h.client.Enqueue(e.Ctx(id), createHospitalTask("hospital of "+id), asynq.Queue(h.queue))
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Headers[tenanttask.HeaderTenant]; got != id {
			t.Fatalf("enqueued task's tenant header = %q, want %q", got, id)
		}
	}
	h.serve(mux)
	log.waitOK(t, len(e.Tenants))
	h.waitDrained()
	for _, r := range log.all() {
		if r.name != "hospital of "+r.tenant || r.err != nil {
			t.Errorf("task for %q ran as tenant %q: %v", r.name, r.tenant, r.err)
		}
	}
	for _, id := range e.Tenants {
		if got, want := hospitalNames(t, e, id), []string{"hospital of " + id}; !slices.Equal(got, want) {
			t.Errorf("tenant %s's database holds hospitals %q, want %q", id, got, want)
		}
	}
	if n := e.Counter.Get(fixture.Central); n != 0 {
		t.Errorf("the central database received %d statements", n)
	}
}

// TestEnqueueRefused shows what Enqueue refuses: nothing reaches the
// queue.
func TestEnqueueRefused(t *testing.T) {
	h := newHarness(t)
	bg := context.Background()
	acme := tenant.NewContext(bg, "acme")
	tests := []struct {
		name string
		ctx  context.Context
		task *asynq.Task
		want error
	}{
		{"no tenant", bg, asynq.NewTask("x", nil), tenant.ErrMissing},
		{"invalid tenant", tenant.NewContext(bg, "../acme"), asynq.NewTask("x", nil), tenant.ErrInvalidID},
		{"empty tenant", tenant.NewContext(bg, ""), asynq.NewTask("x", nil), tenant.ErrInvalidID},
		{"task options", acme, asynq.NewTask("x", nil, asynq.Queue(h.queue)), tenanttask.ErrTaskOptions},
		{"other tenant's header", acme, asynq.NewTaskWithHeaders("x", nil, map[string]string{tenanttask.HeaderTenant: "globex"}), tenanttask.ErrOtherTenant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := h.client.Enqueue(tt.ctx, tt.task, asynq.Queue(h.queue))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Enqueue = %v, %v; want an error wrapping %v", info, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "tenanttask: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	queues, err := h.insp.Queues()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(queues, h.queue) {
		t.Fatalf("queue %s exists after refused enqueues", h.queue)
	}

	// The same task enqueues once the context has a tenant, with its
	// other headers.
	task := asynq.NewTaskWithHeaders("x", nil, map[string]string{"trace": "abc", tenanttask.HeaderTenant: "acme"})
	info, err := h.client.Enqueue(acme, task, asynq.Queue(h.queue))
	if err != nil {
		t.Fatal(err)
	}
	if info.Headers["trace"] != "abc" || info.Headers[tenanttask.HeaderTenant] != "acme" || info.Queue != h.queue {
		t.Fatalf("enqueued %+v", info)
	}
}

// TestRefusedTasksAreArchived runs tasks the middleware must refuse: no
// tenant header (enqueued with the plain asynq client), an invalid id,
// a tenant never registered, and one removed after its task was
// enqueued. Each is archived at once (not retried), its handler never
// runs, and no database receives a statement.
func TestRefusedTasksAreArchived(t *testing.T) {
	e := newTenants(t)
	h := newHarness(t)

	enqueueRaw := func(headers map[string]string) string {
		t.Helper()
		info, err := h.raw.Enqueue(asynq.NewTaskWithHeaders(typeCreateHospital, []byte(`{"name":"x"}`), headers), asynq.Queue(h.queue))
		if err != nil {
			t.Fatal(err)
		}
		return info.ID
	}
	removed, err := h.client.Enqueue(e.Ctx("t01"), createHospitalTask("x"), asynq.Queue(h.queue))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Resolver.Remove(t.Context(), "t01"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		id      string
		lastErr string
	}{
		{"no header", enqueueRaw(nil), tenant.ErrMissing.Error()},
		{"other headers only", enqueueRaw(map[string]string{"tenant": "t00"}), tenant.ErrMissing.Error()},
		{"invalid id", enqueueRaw(map[string]string{tenanttask.HeaderTenant: "t00/../t02"}), tenant.ErrInvalidID.Error()},
		{"empty id", enqueueRaw(map[string]string{tenanttask.HeaderTenant: ""}), tenant.ErrInvalidID.Error()},
		{"never registered", enqueueRaw(map[string]string{tenanttask.HeaderTenant: "ghost"}), `tenant "ghost": ` + tenant.ErrUnknown.Error()},
		{"removed", removed.ID, `tenant "t01": ` + tenant.ErrUnknown.Error()},
	}

	var ran atomic.Int64
	mw, err := tenanttask.Middleware(e.Resolver)
	if err != nil {
		t.Fatal(err)
	}
	mux := asynq.NewServeMux()
	mux.Use(mw)
	mux.HandleFunc(typeCreateHospital, func(ctx context.Context, task *asynq.Task) error {
		ran.Add(1)
		return e.DB.WithContext(ctx).Create(&hospital.Hospital{Name: "x"}).Error
	})
	before := e.Counter.Total()
	h.serve(mux)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := h.waitState(tt.id, asynq.TaskStateArchived)
			if info.Retried != 0 {
				t.Errorf("archived after %d retries, want 0", info.Retried)
			}
			if !strings.Contains(info.LastErr, tt.lastErr) || !strings.HasPrefix(info.LastErr, "tenanttask: ") {
				t.Errorf("last error %q, want the tenanttask error naming %q", info.LastErr, tt.lastErr)
			}
		})
	}
	if n := ran.Load(); n != 0 {
		t.Errorf("the handler ran %d times", n)
	}
	if after := e.Counter.Total(); after != before {
		t.Errorf("databases received %d statements: %s", after-before, e.Counter)
	}
	for _, id := range e.Tenants {
		if names := hospitalNames(t, e, id); len(names) != 0 {
			t.Errorf("tenant %s holds hospitals %q", id, names)
		}
	}
}

// TestTenantRemovedWhileRunning removes the tenant while its task runs:
// the plugin refuses the handler's statement, and the task is archived,
// not retried.
func TestTenantRemovedWhileRunning(t *testing.T) {
	e := newTenants(t)
	h := newHarness(t)
	mw, err := tenanttask.Middleware(e.Resolver)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	var ran atomic.Int64
	mux := asynq.NewServeMux()
	mux.Use(mw)
	mux.HandleFunc(typeCreateHospital, func(ctx context.Context, task *asynq.Task) error {
		ran.Add(1)
		id, _ := tenant.FromContext(ctx)
		var rerr error
		once.Do(func() { rerr = e.Resolver.Remove(ctx, id) })
		if rerr != nil {
			return rerr
		}
		return e.DB.WithContext(ctx).Create(&hospital.Hospital{Name: "x"}).Error
	})
	info, err := h.client.Enqueue(e.Ctx("t02"), createHospitalTask("x"), asynq.Queue(h.queue))
	if err != nil {
		t.Fatal(err)
	}
	before := e.Counter.Total()
	h.serve(mux)
	got := h.waitState(info.ID, asynq.TaskStateArchived)
	if got.Retried != 0 || !strings.Contains(got.LastErr, "removed while") {
		t.Errorf("archived after %d retries with %q", got.Retried, got.LastErr)
	}
	if n := ran.Load(); n != 1 {
		t.Errorf("the handler ran %d times, want 1", n)
	}
	if after := e.Counter.Total(); after != before {
		t.Errorf("databases received %d statements: %s", after-before, e.Counter)
	}
}
