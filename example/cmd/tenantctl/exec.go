package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/tenantrouter/tenantplugin/example"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// execOptions is exec's command line.
type execOptions struct {
	id       string // "" with --all
	all      bool
	parallel int
	verbose  bool
	argv     []string
}

// parseExec reads `exec ID [-v] -- COMMAND [ARGS...]` and
// `exec --all [--parallel N] [-v] -- COMMAND [ARGS...]`.
func parseExec(args []string) (execOptions, error) {
	var o execOptions
	dash := slices.Index(args, "--")
	if dash < 0 {
		return o, usagef("exec: give the command after --")
	}
	if o.argv = args[dash+1:]; len(o.argv) == 0 {
		return o, usagef("exec: no command after --")
	}
	fs := newFlags("exec")
	fs.BoolVar(&o.all, "all", false, "run for every tenant of the service")
	fs.IntVar(&o.parallel, "parallel", 1, "with --all, how many tenants at once")
	fs.BoolVar(&o.verbose, "v", false, "say which tenant and database each run is for (never a password)")
	id, err := optionalID(fs, args[:dash])
	if err != nil {
		return o, err
	}
	parallelSet := false
	fs.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "parallel" })
	switch {
	case o.all && id != "":
		return o, usagef("exec: give a tenant id or --all, not both")
	case !o.all && id == "":
		return o, usagef("exec: no tenant id (or --all)")
	case parallelSet && !o.all:
		return o, usagef("exec: --parallel is for --all")
	case o.parallel < 1:
		return o, usagef("exec: --parallel %d: give 1 or more", o.parallel)
	}
	if id != "" {
		if err := tenant.ValidateID(id); err != nil {
			return o, &tenant.Error{ID: id, Err: err}
		}
	}
	o.id = id
	return o, nil
}

// execTenants runs exec: see the package documentation.
func execTenants(ctx context.Context, store tenantconfig.Store, args []string, out io.Writer, e cmdEnv) error {
	o, err := parseExec(args)
	if err != nil {
		return err
	}
	t, err := newExecTarget(e.getenv)
	if err != nil {
		return err
	}
	defer t.close()
	if o.all {
		return execAll(ctx, store, t, o, out, e.stderr)
	}
	return execOne(ctx, store, t, o, out, e)
}

// execOne runs the command for one tenant, with tenantctl's stdin,
// stdout and stderr, and returns its exit status. tenantctl survives
// SIGINT and SIGQUIT (a terminal sends them to the command too, which
// decides: an interactive psql cancels its query and goes on); a
// SIGTERM is passed on to the command.
func execOne(ctx context.Context, store tenantconfig.Store, t *execTarget, o execOptions, out io.Writer, e cmdEnv) error {
	rec, err := store.Get(ctx, o.id)
	if err != nil {
		return err
	}
	env, err := t.env(ctx, o.id, rec)
	if err != nil {
		return &tenant.Error{ID: o.id, Err: err}
	}
	held := make(chan os.Signal, 1)
	signal.Notify(held, os.Interrupt, syscall.SIGQUIT)
	defer signal.Stop(held)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	if o.verbose {
		fmt.Fprintf(e.stderr, "tenantctl exec: %s: %s\n", o.id, env.shown)
	}
	r := runCommand(ctx, env, o.argv, e.stdin, out, e.stderr)
	switch {
	case r.err == nil:
		return nil
	case r.started:
		return exitStatus{code: r.status} // the command said why
	default:
		return exitStatus{code: r.status, err: r.err}
	}
}

// execTarget gives tenants' connection settings as the application's
// instances compute them: merged over DATABASE_URL (PostgreSQL), or
// SQLite files when DATABASE_URL is unset or a sqlite: URL, and checked
// by a resolver with the same template, which opens nothing.
type execTarget struct {
	res         *resolver.Resolver
	pg          bool
	templateDSN string
}

func newExecTarget(getenv func(string) string) (*execTarget, error) {
	url := getenv("DATABASE_URL")
	t := &execTarget{}
	var drv dbdriver.Driver
	if url == "" || strings.HasPrefix(url, sqliteScheme) {
		t.templateDSN, drv = example.SQLitePragmas, sqlitedriver.New()
	} else {
		t.pg, t.templateDSN, drv = true, url, pgdriver.New()
	}
	res, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: drv.Name(), DSN: t.templateDSN},
		Drivers:  []dbdriver.Driver{drv},
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, err
	}
	t.res = res
	return t, nil
}

func (t *execTarget) close() { _ = t.res.Close() }

// env returns the environment of a command run for the tenant whose
// record rec is: its orm_config.gorm.default database, the primary
// (replicas are not given). The config is refused as an instance
// refuses it.
func (t *execTarget) env(ctx context.Context, id string, rec tenantconfig.Record) (tenantEnv, error) {
	db, ok := rec.Config.Database(tenantconfig.GORM, tenantconfig.DefaultAlias)
	if !ok {
		return tenantEnv{}, fmt.Errorf("no orm_config.%s.%s", tenantconfig.GORM, tenantconfig.DefaultAlias)
	}
	db.Version = rec.Version
	if err := t.res.Set(ctx, id, db); err != nil {
		var te *tenant.Error
		if errors.As(err, &te) {
			return tenantEnv{}, te.Err
		}
		return tenantEnv{}, err
	}
	if t.pg {
		return pgEnv(id, t.templateDSN, db.DataSource)
	}
	return sqliteEnv(id, db.DataSource), nil
}
