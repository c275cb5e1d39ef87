package tenanttask_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	tenanttask "github.com/tenantrouter/tenantplugin/tasks"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestMiddleware calls the middleware directly: the handler runs with
// the header's tenant in its context, whatever the context held, and
// every refusal skips the handler and wraps asynq.SkipRetry.
func TestMiddleware(t *testing.T) {
	reg := staticTenants{"acme", "globex"}
	mw, err := tenanttask.Middleware(reg)
	if err != nil {
		t.Fatal(err)
	}
	task := func(h map[string]string) *asynq.Task { return asynq.NewTaskWithHeaders("x", nil, h) }
	tests := []struct {
		name   string
		ctx    context.Context
		task   *asynq.Task
		tenant string // the handler's tenant; "" if refused
		want   error
	}{
		{"header", t.Context(), task(map[string]string{tenanttask.HeaderTenant: "acme"}), "acme", nil},
		{"header beats the context", tenant.NewContext(t.Context(), "globex"), task(map[string]string{tenanttask.HeaderTenant: "acme"}), "acme", nil},
		{"no headers", t.Context(), asynq.NewTask("x", nil), "", tenant.ErrMissing},
		{"no header, tenant in context", tenant.NewContext(t.Context(), "acme"), task(map[string]string{"other": "acme"}), "", tenant.ErrMissing},
		{"empty", t.Context(), task(map[string]string{tenanttask.HeaderTenant: ""}), "", tenant.ErrInvalidID},
		{"path", t.Context(), task(map[string]string{tenanttask.HeaderTenant: "acme/../globex"}), "", tenant.ErrInvalidID},
		{"unknown", t.Context(), task(map[string]string{tenanttask.HeaderTenant: "initech"}), "", tenant.ErrUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := ""
			err := mw(asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
				id, ok := tenant.FromContext(ctx)
				if !ok {
					return errors.New("no tenant")
				}
				ran = id
				return nil
			})).ProcessTask(tt.ctx, tt.task)
			if ran != tt.tenant {
				t.Errorf("handler ran as %q, want %q", ran, tt.tenant)
			}
			if tt.want == nil {
				if err != nil {
					t.Errorf("ProcessTask = %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, asynq.SkipRetry) {
				t.Errorf("ProcessTask = %v, want an error wrapping %v and asynq.SkipRetry", err, tt.want)
			}
		})
	}
}

// removable has acme until removed.
type removable struct{ removed bool }

func (r *removable) Has(id string) bool { return id == "acme" && !r.removed }

// TestMiddlewareHandlerErrors: a handler failing with tenant.ErrUnknown
// because its tenant was removed meanwhile is not retried; other
// errors, and ErrUnknown while the tenant is still there, pass as they
// are, so asynq retries them.
func TestMiddlewareHandlerErrors(t *testing.T) {
	unknown := &tenant.Error{ID: "acme", Err: tenant.ErrUnknown}
	tests := []struct {
		name      string
		remove    bool
		err       error
		skipRetry bool
	}{
		{"removed meanwhile", true, fmt.Errorf("gorm: %w", unknown), true},
		{"unknown but still registered", false, unknown, false},
		{"other error", true, errors.New("boom"), false},
		{"already SkipRetry", true, fmt.Errorf("%w (%w)", unknown, asynq.SkipRetry), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := &removable{}
			mw, err := tenanttask.Middleware(reg)
			if err != nil {
				t.Fatal(err)
			}
			task := asynq.NewTaskWithHeaders("x", nil, map[string]string{tenanttask.HeaderTenant: "acme"})
			err = mw(asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
				reg.removed = tt.remove
				return tt.err
			})).ProcessTask(t.Context(), task)
			if !errors.Is(err, tt.err) {
				t.Errorf("ProcessTask = %v, does not wrap the handler's %v", err, tt.err)
			}
			if got := errors.Is(err, asynq.SkipRetry); got != tt.skipRetry {
				t.Errorf("ProcessTask = %v: SkipRetry %v, want %v", err, got, tt.skipRetry)
			}
		})
	}
}

func TestConstructorsRefuseNil(t *testing.T) {
	var nilRes *resolver.Resolver
	if _, err := tenanttask.Middleware(nil); err == nil || !strings.Contains(err.Error(), "got nil") {
		t.Errorf("Middleware(nil) = %v", err)
	}
	if _, err := tenanttask.Middleware(nilRes); err == nil || !strings.Contains(err.Error(), "*resolver.Resolver") {
		t.Errorf("Middleware(nil *Resolver) = %v", err)
	}
	if _, err := tenanttask.NewClient(nil); err == nil {
		t.Error("NewClient(nil) = nil error")
	}
	raw := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { _ = raw.Close() })
	c, err := tenanttask.NewClient(raw)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(context.Context, string) (*asynq.Task, error) { return asynq.NewTask("x", nil), nil }
	tenants := staticTenants{"acme"}
	tests := []struct {
		name string
		c    *tenanttask.Client
		l    tenanttask.Lister
		mk   tenanttask.TaskFunc
		opts []asynq.Option
		want string
	}{
		{"nil client", nil, tenants, mk, nil, "*Client"},
		{"nil lister", c, nil, mk, nil, "Lister"},
		{"nil resolver", c, nilRes, mk, nil, "*resolver.Resolver"},
		{"nil TaskFunc", c, tenants, nil, nil, "TaskFunc"},
		{"nil option", c, tenants, mk, []asynq.Option{asynq.Queue("q"), nil}, "option 1 is nil"},
		{"TaskID", c, tenants, mk, []asynq.Option{asynq.TaskID("daily")}, "task id"},
		{"Unique", c, tenants, mk, []asynq.Option{asynq.Unique(time.Hour)}, "unique key ignores the tenant"},
	}
	for _, tt := range tests {
		t.Run("FanOut "+tt.name, func(t *testing.T) {
			h, err := tenanttask.FanOut(tt.c, tt.l, tt.mk, tt.opts...)
			if h != nil || err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "tenanttask: ") {
				t.Errorf("FanOut = %v, %v; want an error naming %q", h, err, tt.want)
			}
		})
	}
}

// BenchmarkMiddleware measures what the middleware adds to a task: the
// header read, the id check, the resolver's Has and the context value.
func BenchmarkMiddleware(b *testing.B) {
	res, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName, DSN: "tenant.db"},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   fixture.Quiet(),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer res.Close()
	if err := res.Set(b.Context(), "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(b.TempDir(), "acme.db")}}); err != nil {
		b.Fatal(err)
	}
	mw, err := tenanttask.Middleware(res)
	if err != nil {
		b.Fatal(err)
	}
	next := asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })
	task := asynq.NewTaskWithHeaders("x", nil, map[string]string{tenanttask.HeaderTenant: "acme"})
	ctx := b.Context()
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = next.ProcessTask(ctx, task)
		}
	})
	h := mw(next)
	b.Run("middleware", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := h.ProcessTask(ctx, task); err != nil {
				b.Fatal(err)
			}
		}
	})
}
