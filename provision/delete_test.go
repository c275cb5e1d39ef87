package provision_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/provision"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestDelete unpublishes a tenant before its hooks run, keeps its
// database unless DropDatabase is given, and takes re-runs: a tenant
// gone already is success with DropDatabase, an unknown tenant without
// it an error naming it.
func TestDelete(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := &counts{}
		var publishedInHook []bool
		hooks := []provision.Hook{seedHook(c), {Name: "archive", Delete: func(_ context.Context, tt provision.Tenant) error {
			_, ok := e.published(tt.ID)
			publishedInHook = append(publishedInHook, ok)
			return nil
		}}}
		p := e.provisioner(c, provision.Config{Hooks: hooks})
		id := e.newID()
		name := provision.DatabaseName(id)
		if _, err := p.Create(ctx, id); err != nil {
			t.Fatal(err)
		}

		var steps []provision.Step
		if err := p.Delete(ctx, id, recordSteps(&steps)); err != nil {
			t.Fatal(err)
		}
		if !sameSteps(steps, deleteSteps) {
			t.Fatalf("steps %v, want %v", steps, deleteSteps)
		}
		if _, ok := e.published(id); ok {
			t.Fatal("still published")
		}
		if len(publishedInHook) != 1 || publishedInHook[0] {
			t.Fatalf("delete hook saw the tenant published: %v", publishedInHook)
		}
		if !e.exists(name) {
			t.Fatal("database dropped without DropDatabase")
		}
		if err := p.Delete(ctx, id); err != nil {
			t.Fatalf("re-run without DropDatabase: %v", err)
		}
		if err := p.Delete(ctx, id, provision.DropDatabase()); err != nil {
			t.Fatal(err)
		}
		if e.exists(name) {
			t.Fatal("database kept with DropDatabase")
		}
		hooksBefore := c.get("seed.delete")
		if err := p.Delete(ctx, id, provision.DropDatabase()); err != nil {
			t.Fatalf("re-run of a gone tenant: %v", err)
		}
		if c.get("seed.delete") != hooksBefore {
			t.Fatal("hooks ran for a gone tenant")
		}
		err := p.Delete(ctx, id)
		if !errors.Is(err, tenant.ErrUnknown) || !strings.Contains(err.Error(), id) {
			t.Fatalf("delete of a gone tenant without DropDatabase: %v; want ErrUnknown naming it", err)
		}
		unknown := e.newID()
		before := e.snapshot()
		err = p.Delete(ctx, unknown)
		if !errors.Is(err, tenant.ErrUnknown) || !strings.Contains(err.Error(), unknown) {
			t.Fatalf("delete of an unknown tenant: %v; want ErrUnknown naming it", err)
		}
		if e.exists(provision.DatabaseName(unknown)) || !equalMaps(before, e.snapshot()) {
			t.Fatal("delete of an unknown tenant changed something")
		}
	})
}

// TestDeleteStoppedAfterEachStep cancels Delete's context after each of
// its steps: the tenant is unpublished from the first, and a re-run ends
// with it fully gone.
func TestDeleteStoppedAfterEachStep(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		for _, stop := range deleteSteps {
			t.Run(string(stop), func(t *testing.T) {
				c := &counts{}
				p := e.provisioner(c, provision.Config{})
				id := e.newID()
				name := provision.DatabaseName(id)
				if _, err := p.Create(context.Background(), id); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				err := p.Delete(ctx, id, provision.DropDatabase(), provision.WithStepDone(func(s provision.Step) {
					if s == stop {
						cancel()
					}
				}))
				if stop != provision.StepDrop && !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v; want context.Canceled", err)
				}
				if _, ok := e.published(id); ok {
					t.Fatal("published after Delete's first step")
				}
				if err := p.Delete(context.Background(), id, provision.DropDatabase()); err != nil {
					t.Fatalf("re-run: %v", err)
				}
				if _, ok := e.published(id); ok || e.exists(name) {
					t.Fatalf("after the re-run: published %v, database exists %v", ok, e.exists(name))
				}
			})
		}
	})
}

// TestDeleteWaitsForSessions holds a session on a tenant's database
// (an instance still finishing its work): Delete waits for it, and
// fails with ErrBusy naming it if it outlasts DrainTimeout, leaving the
// database in place.
func TestDeleteWaitsForSessions(t *testing.T) {
	e := pgEnv(t)
	ctx := context.Background()
	c := &counts{}
	id := e.newID()
	name := provision.DatabaseName(id)
	if _, err := e.provisioner(c, provision.Config{}).Create(ctx, id); err != nil {
		t.Fatal(err)
	}
	instance := e.open(name)
	if err := instance.Exec("SET application_name = 'hospital-instance'").Error; err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := instance.DB()
	sqlDB.SetMaxOpenConns(1)

	impatient := e.provisioner(c, provision.Config{DrainTimeout: 300 * time.Millisecond})
	err := impatient.Delete(ctx, id, provision.DropDatabase())
	if !errors.Is(err, provision.ErrBusy) || !strings.Contains(err.Error(), "hospital-instance") || !strings.Contains(err.Error(), "1 on database") {
		t.Fatalf("err = %v; want ErrBusy naming the session", err)
	}
	if _, ok := e.published(id); ok || !e.exists(name) || c.get("seed.delete") != 0 {
		t.Fatalf("after ErrBusy: published %v, exists %v, delete hooks %d; want unpublished, kept, not run",
			ok, e.exists(name), c.get("seed.delete"))
	}

	// The instance lets go once Delete says it waits.
	waiting := make(chan struct{})
	log := slog.New(&signalHandler{msg: "waiting for the sessions on the database to end", ch: waiting})
	patient := e.provisioner(c, provision.Config{Logger: log})
	done := make(chan error, 1)
	go func() { done <- patient.Delete(ctx, id, provision.DropDatabase()) }()
	select {
	case <-waiting:
	case err := <-done:
		t.Fatalf("Delete returned %v without waiting", err)
	}
	_ = sqlDB.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if e.exists(name) || c.get("seed.delete") != 1 {
		t.Fatalf("exists %v, delete hooks %d; want dropped, run once", e.exists(name), c.get("seed.delete"))
	}
}

// TestDeleteRefuses: a tenant whose database was not provisioned here,
// a database another tenant uses, a name other than the published one:
// refused before anything changes.
func TestDeleteRefuses(t *testing.T) {
	e := pgEnv(t)
	ctx := context.Background()
	c := &counts{}
	p := e.provisioner(c, provision.Config{})
	owner := e.newID()
	if _, err := p.Create(ctx, owner); err != nil {
		t.Fatal(err)
	}
	ownerDB := provision.DatabaseName(owner)
	put := func(id string, db tenantconfig.Database) {
		cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{tenantconfig.GORM: {tenantconfig.DefaultAlias: db}}}
		if _, err := e.store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: cfg}); err != nil {
			t.Fatal(err)
		}
	}
	byDSN, onPostgres, sharing := e.newID(), e.newID(), e.newID()
	put(byDSN, tenantconfig.Database{DataSource: tenantconfig.DataSource{DSN: "postgres://u:hunter2@db/" + ownerDB}})
	put(onPostgres, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: "postgres"}})
	put(sharing, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: ownerDB}})

	tests := []struct {
		name   string
		id     string
		opts   []provision.Option
		target error
	}{
		{"dsn set by hand", byDSN, nil, provision.ErrForeign},
		{"the server's database", onPostgres, []provision.Option{provision.DropDatabase()}, provision.ErrForeign},
		{"shared database", sharing, []provision.Option{provision.DropDatabase()}, provision.ErrInUse},
		{"another name", owner, []provision.Option{provision.WithDatabase("something_else")}, provision.ErrExists},
		{"invalid id", "a/b", nil, tenant.ErrInvalidID},
	}
	before := e.snapshot()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Delete(ctx, tt.id, tt.opts...)
			if !errors.Is(err, tt.target) || !strings.Contains(err.Error(), tt.id) || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("err = %v; want %v naming %s, without the password", err, tt.target, tt.id)
			}
			if !equalMaps(before, e.snapshot()) || !e.exists(ownerDB) {
				t.Fatal("a refused Delete changed something")
			}
		})
	}
	if c.get("seed.delete") != 0 {
		t.Fatal("hooks ran")
	}
}

// signalHandler closes ch when a record with msg is logged.
type signalHandler struct {
	msg string
	ch  chan struct{}
}

func (h *signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *signalHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *signalHandler) WithGroup(string) slog.Handler            { return h }
func (h *signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		close(h.ch)
	}
	return nil
}
