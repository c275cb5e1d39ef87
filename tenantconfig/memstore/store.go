package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"

	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Store is an in-process tenantconfig.Store and tenantconfig.Watcher.
type Store struct {
	mu       sync.Mutex
	records  map[string]tenantconfig.Record
	version  uint64
	watchers map[*watch]struct{}
	mapping  map[string]string
	// sums holds each record's Sum, digest their XOR.
	sums   map[string]tenantconfig.Sum
	digest tenantconfig.Sum
}

// New returns an empty store.
func New() *Store {
	return &Store{records: map[string]tenantconfig.Record{}, watchers: map[*watch]struct{}{}, sums: map[string]tenantconfig.Sum{}}
}

// List implements tenantconfig.Store.
func (s *Store) List(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.records))
	for id := range s.records {
		ids = append(ids, id)
	}
	return ids, nil
}

// Get implements tenantconfig.Store.
func (s *Store) Get(_ context.Context, id string) (tenantconfig.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[id]
	if !ok {
		return tenantconfig.Record{}, &tenant.Error{ID: id, Err: tenant.ErrUnknown}
	}
	return clone(r), nil
}

// Snapshot implements tenantconfig.Store.
func (s *Store) Snapshot(context.Context) (map[string]tenantconfig.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]tenantconfig.Record, len(s.records))
	for id, r := range s.records {
		out[id] = clone(r)
	}
	return out, nil
}

// Apply implements tenantconfig.Store.
func (s *Store) Apply(ctx context.Context, changes ...tenantconfig.Change) ([]uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := tenantconfig.CheckChanges(changes); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Check every condition first: all or nothing.
	exists := func(id string) bool { _, ok := s.records[id]; return ok }
	seen := map[string]bool{}
	touched := map[string]bool{}
	for _, c := range changes {
		present := exists(c.Tenant)
		if d, ok := seen[c.Tenant]; ok {
			present = d
		}
		switch {
		case c.Create && present:
			return nil, &tenant.Error{ID: c.Tenant, Err: tenantconfig.ErrExists}
		case c.Existing && !present:
			return nil, &tenant.Error{ID: c.Tenant, Err: tenant.ErrUnknown}
		case c.IfVersion != 0 && (touched[c.Tenant] || !present || s.records[c.Tenant].Version != c.IfVersion):
			return nil, &tenant.Error{ID: c.Tenant, Err: tenantconfig.ErrConflict}
		}
		seen[c.Tenant] = c.Kind == tenantconfig.PutTenant
		touched[c.Tenant] = true
	}
	// Encode first: a config that does not encode changes nothing.
	encoded := make([][]byte, len(changes))
	for i, c := range changes {
		if c.Kind != tenantconfig.PutTenant {
			continue
		}
		var err error
		if encoded[i], err = json.Marshal(c.Config); err != nil {
			return nil, fmt.Errorf("memstore: change %d: encode: %w", i, err)
		}
	}
	versions := make([]uint64, len(changes))
	events := make([]tenantconfig.Event, len(changes))
	for i, c := range changes {
		s.version++
		versions[i] = s.version
		switch c.Kind {
		case tenantconfig.PutTenant:
			s.records[c.Tenant] = clone(tenantconfig.Record{Config: c.Config, Version: s.version})
			s.setSumLocked(c.Tenant, tenantconfig.RecordSum(c.Tenant, tenantconfig.VersionString(s.version), encoded[i]), true)
		case tenantconfig.DeleteTenant:
			delete(s.records, c.Tenant)
			s.setSumLocked(c.Tenant, tenantconfig.Sum{}, false)
		}
		events[i] = tenantconfig.Event{Tenant: c.Tenant, Version: s.version, Deleted: c.Kind == tenantconfig.DeleteTenant}
	}
	for w := range s.watchers {
		w.send(events)
	}
	return versions, nil
}

// Watch implements tenantconfig.Watcher. An in-process store loses nothing,
// so resync is never called.
func (s *Store) Watch(ctx context.Context, events func(tenantconfig.Event), _ func()) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := &watch{wake: make(chan struct{}, 1), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.mu.Lock()
	s.watchers[w] = struct{}{}
	s.mu.Unlock()
	go func() {
		defer close(w.done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
			}
			for _, e := range w.take() {
				events(e)
			}
		}
	}()
	stop := func() {
		s.mu.Lock()
		delete(s.watchers, w)
		s.mu.Unlock()
		cancel()
		<-w.done
	}
	return stop, nil
}

// watch queues events for one watcher without ever blocking Apply.
type watch struct {
	mu    sync.Mutex
	queue []tenantconfig.Event
	wake  chan struct{}
	done  chan struct{}
}

func (w *watch) send(es []tenantconfig.Event) {
	w.mu.Lock()
	w.queue = append(w.queue, es...)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *watch) take() []tenantconfig.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := w.queue
	w.queue = nil
	return q
}

func clone(r tenantconfig.Record) tenantconfig.Record {
	r.Config = r.Config.Clone()
	return r
}

// Revision implements tenantconfig.Reviser.
func (s *Store) Revision(context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version, nil
}

// String names the store, without its contents.
func (s *Store) String() string { return "in-process store" }

var (
	_ tenantconfig.Store   = (*Store)(nil)
	_ tenantconfig.Watcher = (*Store)(nil)
)

// Mapping implements tenantconfig.Mapper.
func (s *Store) Mapping(context.Context) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.mapping), nil
}

// SetMapping implements tenantconfig.Mapper.
func (s *Store) SetMapping(_ context.Context, m map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mapping = maps.Clone(m)
	return nil
}

var (
	_ tenantconfig.Mapper  = (*Store)(nil)
	_ tenantconfig.Reviser = (*Store)(nil)
)
