package provision_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/glebarez/sqlite"
	"github.com/redis/go-redis/v9"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/provision"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
)

// env is one backend: a Server, a store, and direct looks at both.
type env struct {
	t      testing.TB
	name   string
	server provision.Server
	store  tenantconfig.Store
	pg     *provision.PostgresServer // nil on SQLite
	admin  *sql.DB                   // PostgreSQL's postgres database; nil on SQLite
	app    *gorm.DB                  // appDB's
}

var seq atomic.Int64

// pgEnv is PostgreSQL with a Redis store, both real.
func pgEnv(t testing.TB) *env {
	t.Helper()
	admin := testenv.Admin(t)
	srv, err := provision.Postgres(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &env{t: t, name: "postgres", server: srv, store: redisStore(t), pg: srv, admin: admin}
}

// sqliteEnv is a directory of SQLite files with an in-process store.
func sqliteEnv(t testing.TB) *env {
	t.Helper()
	srv, err := provision.SQLiteDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, name: "sqlite", server: srv, store: memstore.New()}
}

func redisStore(t testing.TB) tenantconfig.Store {
	t.Helper()
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	s, err := redisstore.New(client, fmt.Sprintf("provision-%d-%d", os.Getpid(), seq.Add(1)), redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newID returns a tenant id no other test uses; its derived database is
// dropped when the test ends.
func (e *env) newID() string {
	id := fmt.Sprintf("acme-%d-%d.example", os.Getpid(), seq.Add(1))
	e.dropAtEnd(provision.DatabaseName(id))
	return id
}

func (e *env) dropAtEnd(name string) {
	if e.admin == nil {
		return
	}
	e.t.Cleanup(func() {
		if _, err := e.admin.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`); err != nil {
			e.t.Errorf("drop %s: %v", name, err)
		}
	})
}

// exists looks for the database directly.
func (e *env) exists(name string) bool {
	e.t.Helper()
	if e.admin == nil {
		ok, err := e.server.Exists(context.Background(), name)
		if err != nil {
			e.t.Fatal(err)
		}
		return ok
	}
	var n int
	if err := e.admin.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n == 1
}

// open opens the tenant's database directly, for checks.
func (e *env) open(name string) *gorm.DB {
	e.t.Helper()
	db, err := e.server.Open(context.Background(), name, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	e.t.Cleanup(func() { _ = sqlDB.Close() })
	return db
}

// published returns the database the store holds for id, if any.
func (e *env) published(id string) (tenantconfig.Database, bool) {
	e.t.Helper()
	rec, err := e.store.Get(context.Background(), id)
	if errors.Is(err, tenant.ErrUnknown) {
		return tenantconfig.Database{}, false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	db, ok := rec.Config.Database(tenantconfig.GORM, tenantconfig.DefaultAlias)
	if !ok {
		e.t.Fatalf("%s published without orm_config.gorm.default", id)
	}
	db.Version = rec.Version
	return db, true
}

// snapshot is the store's content, for "nothing changed" checks.
func (e *env) snapshot() map[string]uint64 {
	e.t.Helper()
	snap, err := e.store.Snapshot(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]uint64{}
	for id, r := range snap {
		out[id] = r.Version
	}
	return out
}

// checkProvisioned checks everything a finished Create leaves: the
// database with the tenant tables and one seeded hospital, and the
// tenant published on it.
func (e *env) checkProvisioned(id, name string) {
	e.t.Helper()
	if !e.exists(name) {
		e.t.Fatalf("%s: database %s missing", id, name)
	}
	db := e.open(name)
	for _, m := range hospital.TenantModels() {
		if !db.Migrator().HasTable(m) {
			e.t.Fatalf("%s: table of %T missing", id, m)
		}
	}
	if db.Migrator().HasTable(&hospital.AuditLog{}) {
		e.t.Fatalf("%s: the central table is in the tenant's database", id)
	}
	var n int64
	if err := db.Model(&hospital.Hospital{}).Count(&n).Error; err != nil || n != 1 {
		e.t.Fatalf("%s: %d seeded hospitals (%v), want 1", id, n, err)
	}
	var steps []string
	if err := db.Raw("SELECT step FROM " + migrate.LedgerTable).Scan(&steps).Error; err != nil || len(steps) != 1 {
		e.t.Fatalf("%s: ledger rows %v (%v), want one", id, steps, err)
	}
	got, ok := e.published(id)
	if !ok || !got.Equal(e.server.Database(name)) {
		e.t.Fatalf("%s: published %v (%v), want %v", id, got, ok, e.server.Database(name))
	}
}

// counts records calls of Migrate and of each hook function.
type counts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counts) add(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[k]++
}

func (c *counts) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[k]
}

// appDB returns the application's *gorm.DB: the plugin with the
// example's strategy over the central database (PostgreSQL's postgres
// database, or an in-memory SQLite one), and no tenant. migrate.ApplyTo
// reads its strategies.
func (e *env) appDB() *gorm.DB {
	e.t.Helper()
	if e.app != nil {
		return e.app
	}
	var (
		dial gorm.Dialector
		tmpl resolver.Template
		drv  dbdriver.Driver
	)
	if e.admin != nil {
		dial = postgres.Open(testenv.PostgresURL(e.t))
		tmpl, drv = resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(e.t)}, pgdriver.New()
	} else {
		dial = sqlite.Open(":memory:")
		tmpl, drv = resolver.Template{Driver: sqlitedriver.DriverName}, sqlitedriver.New()
	}
	db, err := gorm.Open(dial, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		e.t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	e.t.Cleanup(func() { _ = sqlDB.Close() })
	res, err := resolver.New(resolver.Config{Template: tmpl, Drivers: []dbdriver.Driver{drv}, Logger: fixture.Quiet()})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = res.Close() })
	plugin := tenantplugin.New(tenantplugin.Config{Resolver: res, Strategies: []tenantplugin.Strategy{hospital.Strategy()}, Logger: fixture.Quiet()})
	e.t.Cleanup(func() { _ = plugin.Close() })
	if err := db.Use(plugin); err != nil {
		e.t.Fatal(err)
	}
	e.app = db
	return db
}

// migrateTenant applies the example's models to a tenant's database, as
// tenantctl does: the tenant's tables only, recorded in its ledger.
func (e *env) migrateTenant(ctx context.Context, db *gorm.DB) error {
	_, err := migrate.ApplyTo(ctx, e.appDB(), db, migrate.Models(hospital.Models()...))
	return err
}

// seedHook seeds one hospital, idempotently, and counts its calls.
func seedHook(c *counts) provision.Hook {
	return provision.Hook{
		Name: "seed",
		Create: func(ctx context.Context, t provision.Tenant) error {
			c.add("seed.create")
			h := hospital.Hospital{Name: "Main hospital"}
			return t.DB.WithContext(ctx).Where(h).FirstOrCreate(&h).Error
		},
		Delete: func(context.Context, provision.Tenant) error {
			c.add("seed.delete")
			return nil
		},
	}
}

// provisioner returns a Provisioner on e with the tenant models, the
// seed hook and cfg's other fields.
func (e *env) provisioner(c *counts, cfg provision.Config) *provision.Provisioner {
	e.t.Helper()
	cfg.Store, cfg.Server = e.store, e.server
	if cfg.Migrate == nil {
		cfg.Migrate = func(ctx context.Context, db *gorm.DB) error {
			c.add("migrate")
			return e.migrateTenant(ctx, db)
		}
	}
	if cfg.Hooks == nil {
		cfg.Hooks = []provision.Hook{seedHook(c)}
	}
	if cfg.Logger == nil {
		cfg.Logger = fixture.Quiet()
	}
	p, err := provision.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

var createSteps = []provision.Step{provision.StepDatabase, provision.StepMigrate, provision.StepHooks, provision.StepPublish}
var deleteSteps = []provision.Step{provision.StepUnpublish, provision.StepDrain, provision.StepDeleteHooks, provision.StepDrop}

// recordSteps returns an option that appends each step to *got.
func recordSteps(got *[]provision.Step) provision.Option {
	return provision.WithStepDone(func(s provision.Step) { *got = append(*got, s) })
}

func sameSteps(a, b []provision.Step) bool { return slices.Equal(a, b) }
