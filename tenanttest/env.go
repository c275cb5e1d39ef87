package tenanttest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/optapply"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// cleanupTimeout bounds what a test's cleanup does on a server: closing
// the resolver's work, dropping databases.
const cleanupTimeout = time.Minute

// Env is a *gorm.DB with the plugin over throwaway databases: one per
// tenant and one per reserved alias, made by [New] and removed when the
// test ends. Every statement any of them receives is counted ([Env.Sent]).
//
// Its fields are what the application would have: use them as it does.
// Do not close them; the test's cleanup does.
type Env struct {
	// DB is the application's *gorm.DB: opened on the reserved database
	// [tenantplugin.DefaultAlias], with the plugin installed.
	DB *gorm.DB
	// Resolver gives each tenant's pool. It holds Env's tenants.
	Resolver *resolver.Resolver
	// Store holds each tenant's configuration, the way a config store
	// shared by the application's instances would; New loaded it into
	// Resolver with [tenantsync.Load]. A change made to it directly does
	// not reach Resolver: use [Env.AddTenant] and [Env.RemoveTenant], or
	// tenantsync.
	Store *memstore.Store
	// Plugin is the plugin installed on DB.
	Plugin *tenantplugin.Plugin
	// Tenants are the tenants New made, in order.
	Tenants []string

	ctx     context.Context // the test's
	srv     server
	adm     admin
	tpl     string // template of tenant databases; "" for empty ones
	counter *counter
	gorm    gorm.Config

	mu       sync.Mutex
	names    map[string]string // tenant id → database name or file
	reserved map[string]string // alias → database name or file
	made     []string          // every database made, dropped in order at the end
}

// New makes the databases, registers the tenants in an in-process store,
// loads them into a resolver and installs the plugin on a *gorm.DB, all
// removed when tb ends: pools closed, then databases dropped (PostgreSQL)
// or deleted (SQLite). It fails tb on a bad option or any error, naming
// it, with what was made so far removed.
//
// Statements are counted from the moment New returns: migrating the
// template and the reserved databases is not counted.
func New(tb testing.TB, opts ...Option) *Env {
	tb.Helper()
	o := defaultOptions()
	if err := optapply.Apply("tenanttest", &o, opts); err != nil {
		tb.Fatal(err)
	}
	e, err := newEnv(tb, o)
	if err != nil {
		tb.Fatalf("tenanttest: %v", err)
	}
	return e
}

func newEnv(tb testing.TB, o options) (*Env, error) {
	ctx := tb.Context()
	e := &Env{
		Tenants: slices.Clone(o.ids), ctx: ctx, srv: o.srv, counter: newCounter(), gorm: o.gorm,
		names: map[string]string{}, reserved: map[string]string{},
	}
	dir := ""
	if o.srv.kind() == "sqlite" {
		dir = tb.TempDir()
	}
	adm, err := o.srv.admin(ctx, dir)
	if err != nil {
		return nil, err
	}
	e.adm = adm
	tb.Cleanup(func() {
		if err := adm.close(); err != nil {
			tb.Errorf("tenanttest: %v", err)
		}
	})
	// Registered before any pool is: it runs after they are closed.
	tb.Cleanup(func() {
		if err := e.dropAll(); err != nil {
			tb.Errorf("tenanttest: %v", err)
		}
	})

	// The reserved databases are made while the template is built, then
	// the tenants' are copied from it, several at a time: each CREATE
	// DATABASE takes a PostgreSQL server a few hundred milliseconds.
	var pools map[string]*sql.DB
	err = together(
		func() error { return e.makeTemplate(ctx, o.tpl) },
		func() (err error) { pools, err = e.makeReserved(tb, o); return err },
	)
	if err != nil {
		return nil, err
	}
	err = inParallel(len(e.Tenants), func(i int) error {
		_, err := e.makeTenantDB(ctx, e.Tenants[i])
		return err
	})
	if err != nil {
		return nil, err
	}

	db, err := openGorm(o.srv, pools[tenantplugin.DefaultAlias], o.gorm)
	if err != nil {
		return nil, err
	}
	delete(pools, tenantplugin.DefaultAlias)
	e.DB = db

	if err := e.startResolver(tb, o); err != nil {
		return nil, err
	}
	pc := o.plugin
	pc.Resolver, pc.Strategies = e.Resolver, o.strategies
	if len(pools) > 0 {
		pc.ReservedPools = map[string]gorm.ConnPool{}
		for alias, p := range pools {
			pc.ReservedPools[alias] = p
		}
	}
	if pc.Logger == nil {
		pc.Logger = o.logger
	}
	e.Plugin = tenantplugin.New(pc)
	if err := db.Use(e.Plugin); err != nil {
		return nil, err
	}
	tb.Cleanup(func() {
		if err := e.Plugin.Close(); err != nil {
			tb.Errorf("tenanttest: plugin close: %v", err)
		}
	})
	// What opening the *gorm.DB sent (SQLite's version query) is not
	// the test's.
	e.counter.reset()
	return e, nil
}

// makeTemplate builds the template of tenant databases, or finds the
// shared one.
func (e *Env) makeTemplate(ctx context.Context, spec templateSpec) error {
	if spec.empty() {
		return nil
	}
	name, ok, err := sharedTemplateFor(ctx, e.srv, spec)
	if ok {
		e.tpl = name
		return err
	}
	e.tpl = e.adm.name("tpl")
	e.track(e.tpl)
	return spec.build(ctx, e.srv, e.adm, e.tpl)
}

// makeReserved makes the database of each reserved alias,
// [tenantplugin.DefaultAlias] always, and returns a counted pool on each,
// closed when tb ends.
func (e *Env) makeReserved(tb testing.TB, o options) (map[string]*sql.DB, error) {
	dbs := o.reserved
	if !slices.ContainsFunc(dbs, func(r reservedDB) bool { return r.alias == tenantplugin.DefaultAlias }) {
		dbs = append([]reservedDB{{alias: tenantplugin.DefaultAlias}}, dbs...)
	}
	pools := make([]*sql.DB, len(dbs))
	err := inParallel(len(dbs), func(i int) error {
		r := dbs[i]
		name := e.adm.name("reserved")
		e.track(name)
		if err := e.adm.create(e.ctx, name); err != nil {
			return fmt.Errorf("reserved %q: %w", r.alias, err)
		}
		if err := e.migrateReserved(name, r.models); err != nil {
			return fmt.Errorf("reserved %q: %w", r.alias, err)
		}
		conn, err := e.srv.connector(name)
		if err != nil {
			return fmt.Errorf("reserved %q: %w", r.alias, err)
		}
		pool := sql.OpenDB(e.counter.wrap(e.counter.label(name, r.alias, true), conn))
		tb.Cleanup(func() { _ = pool.Close() })
		pools[i] = pool
		e.mu.Lock()
		e.reserved[r.alias] = name
		e.mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	byAlias := map[string]*sql.DB{}
	for i, r := range dbs {
		byAlias[r.alias] = pools[i]
	}
	return byAlias, nil
}

// migrateReserved migrates models into database name on a pool of its
// own, uncounted.
func (e *Env) migrateReserved(name string, models []any) error {
	if len(models) == 0 {
		return nil
	}
	conn, err := e.srv.connector(name)
	if err != nil {
		return err
	}
	pool := sql.OpenDB(conn)
	return errors.Join(migrateOn(e.ctx, e.srv, pool, e.gorm, models), pool.Close())
}

// makeTenantDB makes tenant id's database, a copy of the template, and
// labels it for the counts.
func (e *Env) makeTenantDB(ctx context.Context, id string) (string, error) {
	name := e.adm.name("tenant")
	e.track(name)
	var err error
	if e.tpl != "" {
		err = e.adm.clone(ctx, e.tpl, name)
	} else {
		err = e.adm.create(ctx, name)
	}
	if err != nil {
		return "", fmt.Errorf("tenant %q: %w", id, err)
	}
	e.counter.label(name, id, false)
	e.mu.Lock()
	e.names[id] = name
	e.mu.Unlock()
	return name, nil
}

// tenantConfig is a tenant's configuration in the store.
func tenantConfig(name string) tenantconfig.Config {
	return tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: dataSource(name)}},
	}}
}

// startResolver registers the tenants in Store and loads them into a new
// resolver, closed when tb ends.
func (e *Env) startResolver(tb testing.TB, o options) error {
	rc := o.resolver
	rc.Template.Driver, rc.Template.DSN = o.srv.driver().Name(), o.srv.templateDSN()
	rc.Drivers = []dbdriver.Driver{countingDriver{inner: o.srv.driver(), c: e.counter}}
	if rc.Logger == nil {
		rc.Logger = o.logger
	}
	res, err := resolver.New(rc)
	if err != nil {
		return err
	}
	e.Resolver = res
	tb.Cleanup(func() {
		if err := res.Close(); err != nil {
			tb.Errorf("tenanttest: resolver close: %v", err)
		}
	})
	e.Store = memstore.New()
	var changes []tenantconfig.Change
	for _, id := range e.Tenants {
		changes = append(changes, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: tenantConfig(e.names[id]), Create: true})
	}
	if len(changes) > 0 {
		if _, err := e.Store.Apply(e.ctx, changes...); err != nil {
			return err
		}
	}
	return tenantsync.Load(e.ctx, e.Store, res, tenantsync.WithAllowEmpty())
}

// track records a database to drop when the test ends.
func (e *Env) track(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.made = append(e.made, name)
}

// dropAll drops every database made.
func (e *Env) dropAll() error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	e.mu.Lock()
	made := slices.Clone(e.made)
	e.mu.Unlock()
	return inParallel(len(made), func(i int) error {
		if err := e.adm.drop(ctx, made[i]); err != nil {
			return fmt.Errorf("drop %s: %w", made[i], err)
		}
		return nil
	})
}

// Ctx returns the test's context carrying tenant id, as [Context] does:
// statements and transactions run with it go to id's database, and it
// ends when the test does.
func (e *Env) Ctx(id string) context.Context { return tenant.NewContext(e.ctx, id) }

// Sent returns the number of statements each database has received
// since New returned.
func (e *Env) Sent() Counts { return e.counter.counts() }

// AddTenant makes a database for a new tenant id (a copy of the template,
// as New's are), puts it in Store and sets it on Resolver. It fails tb if
// id is invalid or exists. The database is dropped when the Env's test
// ends.
func (e *Env) AddTenant(tb testing.TB, id string) {
	tb.Helper()
	if err := tenant.ValidateID(id); err != nil {
		tb.Fatalf("tenanttest: AddTenant: %v", err)
	}
	ctx := tb.Context()
	if e.Resolver.Has(id) {
		tb.Fatalf("tenanttest: AddTenant(%q): the tenant exists", id)
	}
	name, err := e.makeTenantDB(ctx, id)
	if err != nil {
		tb.Fatalf("tenanttest: AddTenant: %v", err)
	}
	versions, err := e.Store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: tenantConfig(name), Create: true})
	if err != nil {
		tb.Fatalf("tenanttest: AddTenant: %v", err)
	}
	cfg := tenantconfig.Database{DataSource: dataSource(name), Version: versions[0]}
	if err := e.Resolver.Set(ctx, id, cfg); err != nil {
		tb.Fatalf("tenanttest: AddTenant: %v", err)
	}
}

// RemoveTenant deletes tenant id from Store and removes it from
// Resolver: its statements then fail with [tenant.ErrUnknown]. Its
// database stays until the Env's test ends, so that [Env.OpenDirect]
// can still read it. It fails tb if id is not a tenant.
func (e *Env) RemoveTenant(tb testing.TB, id string) {
	tb.Helper()
	ctx := tb.Context()
	if _, err := e.Store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: id, Existing: true}); err != nil {
		tb.Fatalf("tenanttest: RemoveTenant: %v", err)
	}
	if err := e.Resolver.Remove(ctx, id); err != nil {
		tb.Fatalf("tenanttest: RemoveTenant: %v", err)
	}
}

// OpenDirect opens a plain *gorm.DB (no plugin, statements not counted)
// on tenant id's database, to check what it holds: where rows landed,
// what a migration made. It is closed when tb ends. It fails tb if id
// has no database made by the Env.
func (e *Env) OpenDirect(tb testing.TB, id string) *gorm.DB {
	tb.Helper()
	e.mu.Lock()
	name, ok := e.names[id]
	e.mu.Unlock()
	if !ok {
		tb.Fatalf("tenanttest: OpenDirect(%q): no database of this Env's is that tenant's", id)
	}
	return e.openPlain(tb, name)
}

// OpenReserved opens a plain *gorm.DB (no plugin, statements not
// counted) on the reserved alias's database, closed when tb ends. It
// fails tb if the Env has no such alias.
func (e *Env) OpenReserved(tb testing.TB, alias string) *gorm.DB {
	tb.Helper()
	e.mu.Lock()
	name, ok := e.reserved[alias]
	e.mu.Unlock()
	if !ok {
		tb.Fatalf("tenanttest: OpenReserved(%q): no such reserved alias", alias)
	}
	return e.openPlain(tb, name)
}

func (e *Env) openPlain(tb testing.TB, name string) *gorm.DB {
	tb.Helper()
	conn, err := e.srv.connector(name)
	if err != nil {
		tb.Fatalf("tenanttest: %v", err)
	}
	pool := sql.OpenDB(conn)
	tb.Cleanup(func() { _ = pool.Close() })
	db, err := openGorm(e.srv, pool, e.gorm)
	if err != nil {
		tb.Fatalf("tenanttest: %v", err)
	}
	return db
}

// EachTenant runs fn as a subtest of t per tenant of New, named by the
// tenant's id, with a context carrying the tenant ([Context] of the
// subtest).
func (e *Env) EachTenant(t *testing.T, fn func(t *testing.T, ctx context.Context)) {
	t.Helper()
	for _, id := range e.Tenants {
		t.Run(id, func(t *testing.T) { fn(t, Context(t, id)) })
	}
}
