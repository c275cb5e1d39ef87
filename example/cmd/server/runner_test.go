package main

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// tenantSet is a registry of tenants, safe for concurrent use.
type tenantSet struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (s *tenantSet) Has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id]
}

func (s *tenantSet) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ids, id)
}

// TestRunner: a task runs with the tenant it was enqueued for; a context
// with no tenant, an unknown type, a full queue and a closed runner are
// refused; a task whose tenant is gone is dropped, not run; Close runs
// what is queued.
func TestRunner(t *testing.T) {
	var (
		mu   sync.Mutex
		ran  []string
		gate = make(chan struct{})
	)
	handlers := map[string]taskFunc{
		"record": func(ctx context.Context, payload []byte) error {
			<-gate
			id, _ := tenant.FromContext(ctx)
			mu.Lock()
			defer mu.Unlock()
			ran = append(ran, id+":"+string(payload))
			return nil
		},
	}
	reg := &tenantSet{ids: map[string]bool{"a": true, "b": true}}
	r := newRunner(1, 2, reg, handlers, slog.New(slog.DiscardHandler))

	if err := r.Enqueue(context.Background(), "record", nil); !errors.Is(err, tenant.ErrMissing) {
		t.Errorf("no tenant: %v", err)
	}
	ctxA, ctxB := tenant.NewContext(context.Background(), "a"), tenant.NewContext(context.Background(), "b")
	if err := r.Enqueue(ctxA, "other", nil); err == nil {
		t.Error("unknown type accepted")
	}
	// One task held by the worker, two queued, the next refused. The
	// worker may not have taken the first yet: fill until refused.
	queued := 0
	for _, ctx := range []context.Context{ctxA, ctxB, ctxA, ctxB} {
		if err := r.Enqueue(ctx, "record", []byte{byte('0' + queued)}); err != nil {
			if !errors.Is(err, errQueueFull) {
				t.Fatalf("enqueue: %v", err)
			}
			break
		}
		queued++
	}
	if queued < 2 || queued > 3 {
		t.Fatalf("%d tasks queued with one worker and a queue of 2", queued)
	}
	reg.remove("b") // tenant b removed: its tasks are dropped
	close(gate)
	r.Close()
	r.Close()
	if err := r.Enqueue(ctxA, "record", nil); !errors.Is(err, errRunnerClosed) {
		t.Errorf("closed: %v", err)
	}
	want := []string{"a:0", "a:2"}[:(queued+1)/2]
	if !slices.Equal(ran, want) {
		t.Errorf("ran %q, want %q", ran, want)
	}
}
