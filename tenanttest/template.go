package tenanttest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// templateSpec is what a fresh tenant database holds: the tables of
// models, then whatever setups make.
type templateSpec struct {
	models []any
	setups []setup
	gorm   gorm.Config
}

func (s templateSpec) empty() bool { return len(s.models) == 0 && len(s.setups) == 0 }

// key identifies the spec on srv within this test binary: the server,
// the models' types, the setups' names and functions, and the GORM
// settings that change what AutoMigrate makes.
func (s templateSpec) key(srv server) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|", srv.key())
	for _, m := range s.models {
		fmt.Fprintf(&b, "model %s|", typeName(reflect.TypeOf(m)))
	}
	for _, st := range s.setups {
		fmt.Fprintf(&b, "setup %q %x|", st.name, reflect.ValueOf(st.fn).Pointer())
	}
	fmt.Fprintf(&b, "naming %#v|fk %t|rel %t", s.gorm.NamingStrategy,
		s.gorm.DisableForeignKeyConstraintWhenMigrating, s.gorm.IgnoreRelationshipsWhenMigrating)
	return b.String()
}

// typeName names t with its package path, through pointers and slices.
func typeName(t reflect.Type) string {
	prefix := ""
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		prefix += "*"
		t = t.Elem()
	}
	return prefix + t.PkgPath() + "." + t.String()
}

// build makes database name on srv from spec: create it, migrate and set
// it up on a plain *gorm.DB, wait until its connections have ended, and
// seal it.
func (s templateSpec) build(ctx context.Context, srv server, adm admin, name string) error {
	if err := adm.create(ctx, name); err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	conn, wait, err := srv.buildConnector(name)
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	pool := sql.OpenDB(conn)
	err = migrateOn(ctx, srv, pool, s.gorm, s.models)
	if err == nil {
		err = s.runSetups(ctx, srv, pool)
	}
	err = errors.Join(err, pool.Close())
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	if err := wait(ctx); err != nil {
		return fmt.Errorf("template: %w", err)
	}
	if err := adm.seal(ctx, name); err != nil {
		return fmt.Errorf("seal template: %w", err)
	}
	return nil
}

func (s templateSpec) runSetups(ctx context.Context, srv server, pool *sql.DB) error {
	if len(s.setups) == 0 {
		return nil
	}
	db, err := openGorm(srv, pool, s.gorm)
	if err != nil {
		return err
	}
	for _, st := range s.setups {
		if err := st.fn(ctx, db.WithContext(ctx)); err != nil {
			return fmt.Errorf("setup %q: %w", st.name, err)
		}
	}
	return nil
}

// migrateOn runs plain GORM's AutoMigrate of models on pool.
func migrateOn(ctx context.Context, srv server, pool *sql.DB, cfg gorm.Config, models []any) error {
	if len(models) == 0 {
		return nil
	}
	db, err := openGorm(srv, pool, cfg)
	if err != nil {
		return err
	}
	if err := db.WithContext(ctx).AutoMigrate(models...); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// openGorm opens a plain *gorm.DB on pool with a copy of cfg.
func openGorm(srv server, pool gorm.ConnPool, cfg gorm.Config) (*gorm.DB, error) {
	if cfg.Logger == nil {
		cfg.Logger = logger.Discard
	}
	db, err := gorm.Open(srv.dialector(pool), &cfg)
	if err != nil {
		return nil, fmt.Errorf("open gorm: %w", err)
	}
	return db, nil
}

// shared holds the templates built once per test binary while
// ShareTemplates runs.
var shared struct {
	mu      sync.Mutex
	on      bool
	dir     string // SQLite templates' directory, made on first use
	entries map[string]*sharedTemplate
}

// sharedTemplate is one template, built by the first Env that needs it;
// the others wait for done.
type sharedTemplate struct {
	done chan struct{}
	srv  server
	name string // set before the build starts
	err  error
}

// sharedTemplateFor returns the template of spec on srv, building it the
// first time; ok is false when ShareTemplates is not running.
func sharedTemplateFor(ctx context.Context, srv server, spec templateSpec) (name string, ok bool, err error) {
	key := spec.key(srv)
	shared.mu.Lock()
	if !shared.on {
		shared.mu.Unlock()
		return "", false, nil
	}
	if t, found := shared.entries[key]; found {
		shared.mu.Unlock()
		select {
		case <-t.done:
			return t.name, true, t.err
		case <-ctx.Done():
			return "", true, context.Cause(ctx)
		}
	}
	if shared.dir == "" && srv.kind() == "sqlite" {
		dir, err := os.MkdirTemp("", "tenanttest-templates-")
		if err != nil {
			shared.mu.Unlock()
			return "", true, err
		}
		shared.dir = dir
	}
	t := &sharedTemplate{done: make(chan struct{}), srv: srv}
	shared.entries[key] = t
	dir := shared.dir
	shared.mu.Unlock()

	defer close(t.done)
	// The template outlives this test: its build does not end with it.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), buildTimeout)
	defer cancel()
	adm, err := srv.admin(bctx, dir)
	if err != nil {
		t.err = err
		return "", true, err
	}
	t.name = adm.name("tpl")
	t.err = errors.Join(spec.build(bctx, srv, adm, t.name), adm.close())
	return t.name, true, t.err
}

// M is what a TestMain runs: *testing.M, or a wrapper around it such as
// the one ShareTemplates returns.
type M interface {
	Run() int
}

// ShareTemplates makes the Envs of the tests m runs share their
// templates: the database a fresh tenant's copies, built from [Models]
// and [Setup], is built once per test binary (per server and set of
// models and setups) instead of once per test, and dropped after the
// last test. Use it in TestMain, alone or under goleak:
//
//	func TestMain(m *testing.M) { goleak.VerifyTestMain(tenanttest.ShareTemplates(m)) }
//	func TestMain(m *testing.M) { os.Exit(tenanttest.ShareTemplates(m).Run()) }
//
// Without it, each New builds its template and drops it with the test.
// A template that cannot be dropped is reported on stderr and makes Run
// return 1.
func ShareTemplates(m M) M { return shareRunner{m} }

type shareRunner struct{ m M }

// Run runs the tests with shared templates, then drops the templates.
func (r shareRunner) Run() int {
	shared.mu.Lock()
	if shared.on {
		shared.mu.Unlock()
		fmt.Fprintln(os.Stderr, "tenanttest: ShareTemplates: already running")
		return 1
	}
	shared.on, shared.entries = true, map[string]*sharedTemplate{}
	shared.mu.Unlock()

	code := r.m.Run()

	shared.mu.Lock()
	entries, dir := shared.entries, shared.dir
	shared.on, shared.entries, shared.dir = false, nil, ""
	shared.mu.Unlock()
	if err := dropShared(entries, dir); err != nil {
		fmt.Fprintf(os.Stderr, "tenanttest: ShareTemplates: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// dropShared drops the templates and removes the SQLite templates'
// directory.
func dropShared(entries map[string]*sharedTemplate, dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	var errs []error
	for _, t := range entries {
		<-t.done
		if t.name == "" || t.srv.kind() == "sqlite" {
			continue
		}
		adm, err := t.srv.admin(ctx, dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("drop template %s: %w", t.name, err))
			continue
		}
		if err := adm.drop(ctx, t.name); err != nil {
			errs = append(errs, fmt.Errorf("drop template %s: %w", t.name, err))
		}
		errs = append(errs, adm.close())
	}
	if dir != "" {
		errs = append(errs, os.RemoveAll(dir))
	}
	return errors.Join(errs...)
}
