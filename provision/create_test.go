package provision_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tenantrouter/tenantplugin/provision"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// backends runs fn on PostgreSQL (with Redis) and on SQLite (in
// process).
func backends(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Run("postgres", func(t *testing.T) { fn(t, pgEnv(t)) })
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteEnv(t)) })
}

// TestCreate provisions a tenant and checks every part of it, then runs
// Create again: nothing runs and nothing changes.
func TestCreate(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		c := &counts{}
		p := e.provisioner(c, provision.Config{})
		id := e.newID()
		name := provision.DatabaseName(id)
		var steps []provision.Step
		db, err := p.Create(context.Background(), id, recordSteps(&steps))
		if err != nil {
			t.Fatal(err)
		}
		if !sameSteps(steps, createSteps) {
			t.Fatalf("steps %v, want %v", steps, createSteps)
		}
		if !db.Equal(e.server.Database(name)) || db.Version == 0 {
			t.Fatalf("Create returned %v, want %v with the store's version", db, e.server.Database(name))
		}
		e.checkProvisioned(id, name)
		if c.get("migrate") != 1 || c.get("seed.create") != 1 {
			t.Fatalf("migrate ran %d times, seed %d; want 1 each", c.get("migrate"), c.get("seed.create"))
		}

		before := e.snapshot()
		steps = nil
		again, err := p.Create(context.Background(), id, recordSteps(&steps))
		if err != nil {
			t.Fatal(err)
		}
		if again.Version != db.Version || !again.Equal(db) {
			t.Fatalf("re-run returned %v, want %v", again, db)
		}
		if len(steps) != 0 || c.get("migrate") != 1 || c.get("seed.create") != 1 {
			t.Fatalf("re-run ran steps %v, migrate %d, seed %d; want nothing", steps, c.get("migrate"), c.get("seed.create"))
		}
		if after := e.snapshot(); !equalMaps(before, after) {
			t.Fatalf("re-run changed the store: %v -> %v", before, after)
		}
		e.checkProvisioned(id, name)
	})
}

// TestCreateStoppedAfterEachStep cancels Create's context after each of
// its steps: the tenant is published only once every step is done, and
// a re-run ends with the tenant fully provisioned, its seed hook having
// left one row.
func TestCreateStoppedAfterEachStep(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		for _, stop := range createSteps {
			t.Run(string(stop), func(t *testing.T) {
				c := &counts{}
				p := e.provisioner(c, provision.Config{})
				id := e.newID()
				name := provision.DatabaseName(id)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var steps []provision.Step
				_, err := p.Create(ctx, id, provision.WithStepDone(func(s provision.Step) {
					steps = append(steps, s)
					if s == stop {
						cancel()
					}
				}))
				_, published := e.published(id)
				if stop == provision.StepPublish {
					if err != nil || !published {
						t.Fatalf("stopped after publishing: err %v, published %v; want done", err, published)
					}
				} else {
					if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), id) {
						t.Fatalf("err = %v; want context.Canceled naming %s", err, id)
					}
					if published {
						t.Fatal("published before every step was done")
					}
					if steps[len(steps)-1] != stop {
						t.Fatalf("steps %v ran after %s", steps, stop)
					}
				}
				if !e.exists(name) {
					t.Fatal("database missing after its step")
				}
				if _, err := p.Create(context.Background(), id); err != nil {
					t.Fatalf("re-run: %v", err)
				}
				e.checkProvisioned(id, name)
			})
		}
	})
}

// TestCreateRefuses gives Create bad input: each is refused with an
// error naming it, and nothing is created or published.
func TestCreateRefuses(t *testing.T) {
	e := pgEnv(t)
	c := &counts{}
	p := e.provisioner(c, provision.Config{})
	ctx := context.Background()
	taken := e.newID()
	if _, err := p.Create(ctx, taken); err != nil {
		t.Fatal(err)
	}
	takenName := provision.DatabaseName(taken)
	fresh := e.newID()
	other := "other_" + provision.DatabaseName(fresh)
	e.dropAtEnd(other)
	tests := []struct {
		name   string
		id     string
		opts   []provision.Option
		target error
		want   string
	}{
		{"empty id", "", nil, tenant.ErrInvalidID, `tenant ""`},
		{"slash", "a/b", nil, tenant.ErrInvalidID, `tenant "a/b"`},
		{"dots", "../x", nil, tenant.ErrInvalidID, `tenant "../x"`},
		{"control", "a\x00b", nil, tenant.ErrInvalidID, `tenant "a\x00b"`},
		{"long", strings.Repeat("a", 129), nil, tenant.ErrInvalidID, "129 bytes"},
		{"quote in name", fresh, []provision.Option{provision.WithDatabase(`ac"me`)}, provision.ErrInvalidName, `"ac\"me"`},
		{"space in name", fresh, []provision.Option{provision.WithDatabase("ac me")}, provision.ErrInvalidName, `"ac me"`},
		{"upper case name", fresh, []provision.Option{provision.WithDatabase("Acme")}, provision.ErrInvalidName, `"Acme"`},
		{"long name", fresh, []provision.Option{provision.WithDatabase(strings.Repeat("a", 64))}, provision.ErrInvalidName, "64 bytes"},
		{"server's database", fresh, []provision.Option{provision.WithDatabase("postgres")}, provision.ErrInvalidName, `"postgres"`},
		{"published with another database", taken, []provision.Option{provision.WithDatabase(other)}, provision.ErrExists, takenName},
		{"another tenant's database", fresh, []provision.Option{provision.WithDatabase(takenName)}, provision.ErrInUse, taken},
		{"delete's option", fresh, []provision.Option{provision.DropDatabase()}, nil, "option of Delete"},
	}
	before := e.snapshot()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Create(ctx, tt.id, tt.opts...)
			if err == nil || (tt.target != nil && !errors.Is(err, tt.target)) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want %v naming %q", err, tt.target, tt.want)
			}
			if after := e.snapshot(); !equalMaps(before, after) {
				t.Fatalf("the store changed: %v -> %v", before, after)
			}
			for _, n := range []string{provision.DatabaseName(fresh), other, provision.DatabaseName(tt.id)} {
				if n != takenName && e.exists(n) {
					t.Fatalf("database %s created", n)
				}
			}
		})
	}
	if c.get("migrate") != 1 || c.get("seed.create") != 1 {
		t.Fatalf("migrate %d, seed %d: refused calls ran steps", c.get("migrate"), c.get("seed.create"))
	}
}

// TestCreateHookFails: a failing hook leaves the tenant unpublished and
// says which hook; a re-run with the hook mended provisions it.
func TestCreateHookFails(t *testing.T) {
	e := pgEnv(t)
	c := &counts{}
	failing := true
	hooks := []provision.Hook{seedHook(c), {Name: "welcome", Create: func(context.Context, provision.Tenant) error {
		if failing {
			return errors.New("mail server down")
		}
		return nil
	}}}
	p := e.provisioner(c, provision.Config{Hooks: hooks})
	id := e.newID()
	_, err := p.Create(context.Background(), id)
	if err == nil || !strings.Contains(err.Error(), `hook "welcome": mail server down`) || !strings.Contains(err.Error(), "step hooks") {
		t.Fatalf("err = %v; want the hook named", err)
	}
	if _, ok := e.published(id); ok {
		t.Fatal("published although a hook failed")
	}
	failing = false
	if _, err := p.Create(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	e.checkProvisioned(id, provision.DatabaseName(id))
}

// TestCreateConcurrent runs Create for one tenant from several
// goroutines at once: all succeed, the hooks run once (the server's
// lock keeps the runs apart), one version is published.
func TestCreateConcurrent(t *testing.T) {
	e := pgEnv(t)
	c := &counts{}
	p := e.provisioner(c, provision.Config{})
	id := e.newID()
	const n = 4
	var wg sync.WaitGroup
	dbs := make([]tenantconfig.Database, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = p.Create(context.Background(), id) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || dbs[i].Version != dbs[0].Version {
			t.Fatalf("run %d: %v, version %d (run 0: %d)", i, errs[i], dbs[i].Version, dbs[0].Version)
		}
	}
	if c.get("seed.create") != 1 || c.get("migrate") != 1 {
		t.Fatalf("seed ran %d times, migrate %d; want once each", c.get("seed.create"), c.get("migrate"))
	}
	e.checkProvisioned(id, provision.DatabaseName(id))
}

// TestNewRefusesBadConfig: New names what is wrong.
func TestNewRefusesBadConfig(t *testing.T) {
	srv, err := provision.SQLiteDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store := sqliteEnv(t).store
	noop := func(context.Context, provision.Tenant) error { return nil }
	tests := []struct {
		name string
		cfg  provision.Config
		want string
	}{
		{"no store", provision.Config{Server: srv}, "no Store"},
		{"no server", provision.Config{Store: store}, "no Server"},
		{"drain", provision.Config{Store: store, Server: srv, DrainTimeout: -2}, "DrainTimeout"},
		{"prefix", provision.Config{Store: store, Server: srv, NamePrefix: "Billing"}, "NamePrefix"},
		{"long prefix", provision.Config{Store: store, Server: srv, NamePrefix: strings.Repeat("a", 16)}, "NamePrefix"},
		{"unnamed hook", provision.Config{Store: store, Server: srv, Hooks: []provision.Hook{{Create: noop}}}, "hook 0 has no name"},
		{"twice", provision.Config{Store: store, Server: srv, Hooks: []provision.Hook{{Name: "a", Create: noop}, {Name: "a", Create: noop}}}, `two hooks named "a"`},
		{"empty hook", provision.Config{Store: store, Server: srv, Hooks: []provision.Hook{{Name: "a"}}}, "neither"},
	}
	for _, tt := range tests {
		_, err := provision.New(tt.cfg)
		if !errors.Is(err, provision.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want ErrInvalidConfig and %q", tt.name, err, tt.want)
		}
	}
	p, err := provision.New(provision.Config{Store: store, Server: srv})
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []provision.Option{nil, provision.WithStepDone(nil), provision.WithDatabase("A")} {
		if _, err := p.Create(context.Background(), "acme", opt); err == nil || !strings.HasPrefix(err.Error(), "provision: ") {
			t.Errorf("bad option: %v", err)
		}
	}
	if ids, _ := store.List(context.Background()); len(ids) != 0 {
		t.Fatalf("refused calls published %v", ids)
	}
}

func equalMaps(a, b map[string]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
