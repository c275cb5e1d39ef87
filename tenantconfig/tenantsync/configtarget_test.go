package tenantsync_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// recorder is a ConfigTarget that keeps each tenant's cache URL, and
// refuses the tenants of fail until they are taken out of it.
type recorder struct {
	mu    sync.Mutex
	urls  map[string]string
	calls int
	fail  map[string]bool
}

func newRecorder() *recorder { return &recorder{urls: map[string]string{}, fail: map[string]bool{}} }

func (r *recorder) Set(_ context.Context, id string, cfg tenantconfig.Config) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.fail[id] {
		return errors.New("refused by the recorder")
	}
	r.urls[id] = cfg.Cache["default"].URL
	return nil
}

func (r *recorder) Remove(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	delete(r.urls, id)
	return nil
}

func (r *recorder) state() (map[string]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.urls), r.calls
}

func (r *recorder) setFail(id string, fail bool) {
	r.mu.Lock()
	r.fail[id] = fail
	r.mu.Unlock()
}

// putCache is put with a cache URL for the "default" cache alias.
func putCache(id, name, url string) tenantconfig.Change {
	c := put(id, name)
	c.Config.Cache = map[string]tenantconfig.Cache{"default": {URL: url}}
	return c
}

// TestConfigTargetsFollowTheTarget: a ConfigTarget receives each
// tenant's whole config once the target holds it, again when only the
// cache changes, never a config whose database the target refused, and
// a removal; a duplicate is not delivered twice.
func TestConfigTargetsFollowTheTarget(t *testing.T) {
	store := memstore.New()
	mustApply(t, store, putCache("a", "ct-a1.db", "redis://h/1"), putCache("b", "ct-b1.db", "redis://h/2"))
	r := newResolver(t)
	rec := newRecorder()
	s := start(t, store, r, tenantsync.WithConfigTargets(rec))
	if got, _ := rec.state(); !maps.Equal(got, map[string]string{"a": "redis://h/1", "b": "redis://h/2"}) {
		t.Fatalf("after Start the config target holds %v", got)
	}

	// Only the cache changes: the target's database does not.
	mustApply(t, store, putCache("a", "ct-a1.db", "redis://h/3"))
	eventually(t, time.Second, "the cache change delivered", func() bool {
		got, _ := rec.state()
		return got["a"] == "redis://h/3"
	})

	// The database is refused by the target: the cache change that comes
	// with it is not delivered either (last good config everywhere).
	bad := putCache("a", "", "redis://h/4")
	bad.Config.ORM[tenantconfig.GORM][tenantconfig.DefaultAlias] = tenantconfig.Database{DataSource: tenantconfig.DataSource{Driver: "mysql", Name: "x"}}
	refused := s.Stats().Refused
	mustApply(t, store, bad)
	eventually(t, time.Second, "the bad database refused", func() bool { return s.Stats().Refused > refused })
	if got, _ := rec.state(); got["a"] != "redis://h/3" {
		t.Fatalf("a's cache = %q after its database was refused, want the last good redis://h/3", got["a"])
	}

	mustApply(t, store, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "b"})
	eventually(t, time.Second, "the removal delivered", func() bool {
		got, _ := rec.state()
		_, ok := got["b"]
		return !ok
	})

	// A resync finds nothing new: nothing is delivered again.
	_, calls := rec.state()
	resyncs := s.Stats().Resyncs
	s.Resync()
	eventually(t, time.Second, "resync done", func() bool { return s.Stats().Resyncs > resyncs })
	if _, after := rec.state(); after != calls {
		t.Fatalf("a resync with no change made %d calls", after-calls)
	}
}

// TestConfigTargetRefusalRetried: a ConfigTarget's error is counted as a
// refusal, leaves the database target as it is, and the next resync
// delivers the config again.
func TestConfigTargetRefusalRetried(t *testing.T) {
	store := memstore.New()
	mustApply(t, store, putCache("a", "ctr-a.db", "redis://h/1"))
	r := newResolver(t)
	rec := newRecorder()
	rec.setFail("a", true)
	s := start(t, store, r, tenantsync.WithConfigTargets(rec))
	if got, _ := rec.state(); len(got) != 0 || s.Stats().Refused != 1 || !r.Has("a") {
		t.Fatalf("config target %v, stats %+v, resolver has a: %v; want nothing delivered, 1 refusal, a served",
			got, s.Stats(), r.Has("a"))
	}
	rec.setFail("a", false)
	s.Resync()
	eventually(t, time.Second, "the refused config delivered at the resync", func() bool {
		got, _ := rec.state()
		return got["a"] == "redis://h/1"
	})
}

// TestConfigTargetsOnFailedStart: a Start that fails in a hook takes the
// tenants it delivered back out of the config targets.
func TestConfigTargetsOnFailedStart(t *testing.T) {
	store := memstore.New()
	mustApply(t, store, putCache("a", "ctf-a.db", "redis://h/1"))
	rec := newRecorder()
	_, err := tenantsync.Start(context.Background(), store, newResolver(t), tenantsync.WithLogger(fixture.Quiet()),
		tenantsync.WithConfigTargets(rec), tenantsync.WithHooks(func(context.Context) error { return errors.New("boom") }))
	if err == nil {
		t.Fatal("Start succeeded")
	}
	if got, calls := rec.state(); len(got) != 0 || calls != 2 {
		t.Fatalf("config target holds %v after %d calls, want nothing after a Set and a Remove", got, calls)
	}
}

// TestLoadFeedsConfigTargets: Load delivers every tenant it sets, and
// joins a ConfigTarget's refusal to its error.
func TestLoadFeedsConfigTargets(t *testing.T) {
	store := memstore.New()
	mustApply(t, store, putCache("a", "ctl-a.db", "redis://h/1"), putCache("b", "ctl-b.db", "redis://h/2"))
	rec := newRecorder()
	rec.setFail("b", true)
	err := tenantsync.Load(context.Background(), store, newResolver(t), tenantsync.WithConfigTargets(rec))
	if err == nil || !strings.Contains(err.Error(), `tenant "b"`) || !strings.Contains(err.Error(), "refused by the recorder") {
		t.Fatalf("Load = %v, want the refusal of b", err)
	}
	if got, _ := rec.state(); !maps.Equal(got, map[string]string{"a": "redis://h/1"}) {
		t.Fatalf("config target holds %v", got)
	}
}

func TestWithConfigTargetsRefusesNil(t *testing.T) {
	store := memstore.New()
	mustApply(t, store, put("a", "ctn-a.db"))
	r := newResolver(t)
	_, err := tenantsync.Start(context.Background(), store, r, tenantsync.WithConfigTargets(newRecorder(), nil))
	if err == nil || err.Error() != "tenantsync: WithConfigTargets: target 1 is nil" {
		t.Fatalf("Start = %v", err)
	}
	if r.Has("a") {
		t.Fatal("a bad option changed the target")
	}
}
