package migrate_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
)

// TestFuncRunsOncePerVersion: a Func step runs once per tenant and
// version; a failing fn rolls its transaction back and is run again
// next time.
func TestFuncRunsOncePerVersion(t *testing.T) {
	for _, backend := range []fixture.Backend{fixture.SQLite, fixture.Postgres} {
		t.Run(string(backend), func(t *testing.T) {
			e := fixture.New(t, backend, fixture.Options{Tenants: 3})
			ctx := context.Background()
			if _, err := migrate.AutoMigrate(ctx, e.DB, e.Tenants, []any{&Hospital{}}); err != nil {
				t.Fatal(err)
			}
			var calls atomic.Int32
			fail := e.Tenants[1]
			seed := func(version string) migrate.Step {
				return migrate.Func("seed", version, func(ctx context.Context, db *gorm.DB) error {
					calls.Add(1)
					id, _ := tenant.FromContext(ctx)
					if err := db.Create(&Hospital{Name: "General " + id}).Error; err != nil {
						return err
					}
					if id == fail {
						return errors.New("seed failed")
					}
					return nil
				})
			}
			report, err := migrate.Apply(ctx, e.DB, e.Tenants, seed("v1"))
			var te *tenant.Error
			if !errors.As(err, &te) || te.ID != fail || report.Failed()[0].Tenant != fail {
				t.Fatalf("err = %v, want only %s's", err, fail)
			}
			count := func(id string) int {
				var n int
				if err := e.OpenTenantDB(t, id).QueryRow("SELECT count(*) FROM hospitals").Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if got := count(fail); got != 0 {
				t.Fatalf("the failed seed left %d rows, want its transaction rolled back", got)
			}
			fail = ""
			calls.Store(0)
			report, err = migrate.Apply(ctx, e.DB, e.Tenants, seed("v1"))
			if err != nil || calls.Load() != 1 {
				t.Fatalf("re-run: err %v, %d calls; want 1 call, for the tenant that failed", err, calls.Load())
			}
			for _, r := range report.Results {
				if (r.Tenant == e.Tenants[1]) != (r.Status == migrate.StatusMigrated) {
					t.Fatalf("re-run: %+v", r)
				}
			}
			calls.Store(0)
			if _, err := migrate.Apply(ctx, e.DB, e.Tenants, seed("v2")); err != nil || calls.Load() != 3 {
				t.Fatalf("v2: err %v, %d calls; want one per tenant", err, calls.Load())
			}
			for _, id := range e.Tenants {
				if got := count(id); got != 2 {
					t.Fatalf("%s has %d hospitals, want 2 (v1 and v2)", id, got)
				}
			}
		})
	}
}

// TestSequence: the steps run in order on each database; a failed step
// stops that database's later steps; the statuses fold.
func TestSequence(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 3, Strategies: centralStrategies()})
	ctx := context.Background()
	var mu sync.Mutex
	var order []string
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	fail := e.Tenants[2]
	seq := migrate.Sequence(
		migrate.Models(&Hospital{}, &Patient{}),
		migrate.Func("first", "1", func(ctx context.Context, db *gorm.DB) error {
			id, _ := tenant.FromContext(ctx)
			note("first " + id)
			if id == fail {
				return errors.New("first failed")
			}
			return db.Create(&Patient{Name: "p"}).Error
		}),
		migrate.Func("second", "1", func(ctx context.Context, _ *gorm.DB) error {
			id, _ := tenant.FromContext(ctx)
			note("second " + id)
			return nil
		}),
	)
	report, err := migrate.Apply(ctx, e.DB, e.Tenants, seq, migrate.WithParallel(1))
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{"first t00", "second t00", "first t01", "second t01", "first t02"}
	if !slices.Equal(order, want) {
		t.Fatalf("order %q, want %q", order, want)
	}
	statuses := map[string]migrate.Status{}
	for _, r := range report.Results {
		statuses[r.Reserved+r.Tenant] = r.Status
	}
	if statuses["default"] != migrate.StatusMigrated || statuses["t00"] != migrate.StatusMigrated || statuses[fail] != migrate.StatusFailed {
		t.Fatalf("statuses %v", statuses)
	}
	order, fail = nil, ""
	if _, err := migrate.Apply(ctx, e.DB, e.Tenants, seq, migrate.WithParallel(1)); err != nil {
		t.Fatal(err)
	}
	if want := []string{"first t02", "second t02"}; !slices.Equal(order, want) {
		t.Fatalf("re-run ran %q, want %q", order, want)
	}
}

// TestInvalidSteps: steps built with bad input are refused before any
// statement is sent.
func TestInvalidSteps(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1})
	before := e.Counter.Total() // gorm.Open's
	fn := func(context.Context, *gorm.DB) error { return nil }
	tests := map[string]migrate.Step{
		"func without name":      migrate.Func("", "1", fn),
		"func without version":   migrate.Func("x", "", fn),
		"func without fn":        migrate.Func("x", "1", nil),
		"func with control char": migrate.Func("x\n", "1", fn),
		"func named automigrate": migrate.Func(migrate.AutoMigrateStep, "1", fn),
		"func named goose":       migrate.Func(migrate.GooseStep, "1", fn),
		"models without models":  migrate.Models(),
		"empty sequence":         migrate.Sequence(),
		"nil in sequence":        migrate.Sequence(migrate.Func("x", "1", fn), nil),
		"same name twice":        migrate.Sequence(migrate.Func("x", "1", fn), migrate.Func("x", "2", fn)),
	}
	for name, step := range tests {
		t.Run(name, func(t *testing.T) {
			report, err := migrate.Apply(context.Background(), e.DB, e.Tenants, step)
			if !errors.Is(err, migrate.ErrInvalidStep) || report != nil {
				t.Fatalf("report %v, err %v; want ErrInvalidStep and no report", report, err)
			}
		})
	}
	for name, ids := range map[string][]string{
		"invalid id": {"t00", "a/b"},
		"repeated":   {"t00", "t00"},
	} {
		t.Run(name, func(t *testing.T) {
			report, err := migrate.Apply(context.Background(), e.DB, ids, migrate.Models(&Hospital{}))
			if err == nil || report != nil {
				t.Fatalf("report %v, err %v; want an error and no report", report, err)
			}
		})
	}
	if n := e.Counter.Total() - before; n != 0 {
		t.Fatalf("%d statements sent", n)
	}
}

// TestFailFast: after the first failure, the tenants not started are
// skipped with ErrStopped; without it, every tenant runs.
func TestFailFast(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 5})
	step := func(calls *atomic.Int32) migrate.Step {
		return migrate.Func("job", "1", func(ctx context.Context, _ *gorm.DB) error {
			calls.Add(1)
			if id, _ := tenant.FromContext(ctx); id == "t01" {
				return errors.New("t01 failed")
			}
			return nil
		})
	}
	var calls atomic.Int32
	report, err := migrate.Apply(context.Background(), e.DB, e.Tenants, step(&calls), migrate.WithParallel(1), migrate.WithFailFast())
	if !errors.Is(err, migrate.ErrStopped) || calls.Load() != 2 {
		t.Fatalf("err %v, %d calls; want ErrStopped after 2 calls", err, calls.Load())
	}
	for _, r := range report.Results[2:] {
		if r.Status != migrate.StatusSkipped || !errors.Is(r.Err, migrate.ErrStopped) {
			t.Fatalf("%+v: want skipped with ErrStopped", r)
		}
	}
	calls.Store(0)
	if _, err := migrate.Apply(context.Background(), e.DB, e.Tenants, step(&calls), migrate.WithParallel(1)); err == nil || calls.Load() != 4 {
		t.Fatalf("without fail-fast: err %v, %d calls; want the 4 not yet done", err, calls.Load())
	}
}

// TestUnreachableTenant: a tenant whose database accepts connections
// and never answers is reported unreachable within the connect timeout;
// the others are migrated.
func TestUnreachableTenant(t *testing.T) {
	e := fixture.New(t, fixture.Postgres, fixture.Options{Tenants: 3})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	ctx := context.Background()
	port := ln.Addr().(*net.TCPAddr).Port
	if err := e.Resolver.Set(ctx, "silent", tenantconfig.Database{DataSource: tenantconfig.DataSource{Host: "127.0.0.1", Port: port, Name: "x"}}); err != nil {
		t.Fatal(err)
	}
	ids := append([]string{"silent"}, e.Tenants...)
	start := time.Now()
	report, err := migrate.AutoMigrate(ctx, e.DB, ids, []any{&Hospital{}}, migrate.WithConnectTimeout(500*time.Millisecond))
	elapsed := time.Since(start)
	var te *tenant.Error
	if !errors.Is(err, migrate.ErrUnreachable) || !errors.As(err, &te) || te.ID != "silent" {
		t.Fatalf("err = %v, want tenant silent unreachable", err)
	}
	if elapsed > 10*time.Second {
		t.Fatalf("the run took %v with a 500ms connect timeout", elapsed)
	}
	for _, r := range report.Results {
		if (r.Tenant == "silent") != (r.Status == migrate.StatusFailed) {
			t.Fatalf("%+v", r)
		}
	}
	if !strings.Contains(err.Error(), `tenant "silent"`) || !strings.Contains(err.Error(), "no answer within 500ms") {
		t.Fatalf("the error %q does not name the tenant and the wait", err)
	}
}

// TestMissingTenantDatabase: a tenant whose database does not exist is
// reported unreachable with the server's refusal, not as a server that
// did not answer.
func TestMissingTenantDatabase(t *testing.T) {
	e := fixture.New(t, fixture.Postgres, fixture.Options{Tenants: 1})
	ctx := context.Background()
	if err := e.Resolver.Set(ctx, "gone", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: "tp_no_such_database"}}); err != nil {
		t.Fatal(err)
	}
	_, err := migrate.AutoMigrate(ctx, e.DB, []string{"gone"}, []any{&Hospital{}}, migrate.WithConnectTimeout(5*time.Second))
	if !errors.Is(err, migrate.ErrUnreachable) || strings.Contains(err.Error(), "no answer") || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("err = %v, want unreachable with the server's refusal", err)
	}
}

// TestApplyToThenApply: a database built with ApplyTo (as provisioning
// does, before the tenant is known to any resolver) is up to date for
// Apply.
func TestApplyToThenApply(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1, Strategies: centralStrategies()})
	ctx := context.Background()
	path := t.TempDir() + "/new.db"
	plain, err := gorm.Open(sqlite.Open(path), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := plain.DB()
	t.Cleanup(func() { _ = sqlDB.Close() })
	step := migrate.Models(&Hospital{}, &Patient{})
	if st, err := migrate.ApplyTo(ctx, e.DB, plain, step); err != nil || st != migrate.StatusMigrated {
		t.Fatalf("ApplyTo: %v %v", st, err)
	}
	if !plain.Migrator().HasTable("patients") || plain.Migrator().HasTable("hospitals") {
		t.Fatal("ApplyTo did not build the tenant's tables only")
	}
	if st, err := migrate.ApplyTo(ctx, e.DB, plain, step); err != nil || st != migrate.StatusUpToDate {
		t.Fatalf("ApplyTo again: %v %v", st, err)
	}
	if err := e.Resolver.Set(ctx, "new", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: path}}); err != nil {
		t.Fatal(err)
	}
	report, err := migrate.Apply(ctx, e.DB, []string{"new"}, step)
	if err != nil {
		t.Fatal(err)
	}
	if r := report.Results[len(report.Results)-1]; r.Tenant != "new" || r.Status != migrate.StatusUpToDate {
		t.Fatalf("%+v, want up to date", r)
	}
	if _, err := migrate.ApplyTo(ctx, e.DB, e.DB, step); err == nil {
		t.Fatal("ApplyTo accepted a *gorm.DB with the plugin as the tenant's")
	}
}

// TestDescribe lists what runs where, without a statement.
func TestDescribe(t *testing.T) {
	e := fixture.New(t, fixture.SQLite, fixture.Options{Tenants: 1, Strategies: centralStrategies()})
	before := e.Counter.Total() // gorm.Open's
	p, err := migrate.Describe(context.Background(), e.DB, migrate.Sequence(
		migrate.Models(&Hospital{}, &Patient{}),
		migrate.Func("seed", "3", func(context.Context, *gorm.DB) error { return nil }),
	))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Reserved["default"]; !slices.Equal(got, []string{"table hospitals"}) {
		t.Fatalf("reserved: %q", got)
	}
	if !slices.Equal(p.Tenant, []string{"table patients", "func seed@3"}) {
		t.Fatalf("tenant: %q", p.Tenant)
	}
	if n := e.Counter.Total() - before; n != 0 {
		t.Fatalf("%d statements sent: %v", n, e.Counter)
	}
}

// TestStoreTenants reads the ids straight from a store, sorted.
func TestStoreTenants(t *testing.T) {
	s := memstore.New()
	ctx := context.Background()
	cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{"gorm": {"default": {DataSource: tenantconfig.DataSource{Name: "x"}}}}}
	for _, id := range []string{"b", "c", "a"} {
		if _, err := s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: cfg}); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := migrate.StoreTenants(ctx, s)
	if err != nil || !slices.Equal(ids, []string{"a", "b", "c"}) {
		t.Fatalf("%q %v", ids, err)
	}
}
