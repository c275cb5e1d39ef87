package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tenantrouter/tenantplugin/internal/redisurl"
	"github.com/tenantrouter/tenantplugin/provision"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantfile"
)

// globals are the flags before the command.
type globals struct {
	service, redisURL, prefix string
	data                      string // SQLite tenants' directory
}

// cmdEnv is what create and delete need beyond the store.
type cmdEnv struct {
	g      globals
	getenv func(string) string
	stderr io.Writer
	stdin  io.Reader          // exec's command's
	extra  []provision.Option // after tenantctl's own
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, out, stderr io.Writer, extra []provision.Option) error {
	fs := newFlags("tenantctl")
	g := globals{}
	fs.StringVar(&g.service, "service", "hospital", "service name")
	fs.StringVar(&g.redisURL, "redis", getenv("REDIS_URL"), "Redis URL")
	fs.StringVar(&g.prefix, "prefix", redisstore.DefaultPrefix, "key prefix")
	fs.StringVar(&g.data, "data", "", "directory of the tenants' SQLite files (create, delete; DATABASE_URL unset or SQLite)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, err = io.WriteString(out, usage)
			return err
		}
		return usagef("%v", err)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return usagef("no command")
	}
	cmd, rest := rest[0], rest[1:]
	var run func(context.Context, tenantconfig.Store, []string, io.Writer) error
	switch cmd {
	case "load":
		run = load
	case "add":
		run = func(ctx context.Context, s tenantconfig.Store, a []string, w io.Writer) error {
			return put(ctx, s, a, w, stderr, true, getenv("DATABASE_URL"))
		}
	case "update":
		run = func(ctx context.Context, s tenantconfig.Store, a []string, w io.Writer) error {
			return put(ctx, s, a, w, stderr, false, getenv("DATABASE_URL"))
		}
	case "remove":
		run = remove
	case "list":
		run = list
	case "show":
		run = show
	case "create", "delete", "exec":
		e := cmdEnv{g: g, getenv: getenv, stderr: stderr, stdin: os.Stdin, extra: extra}
		do := create
		switch cmd {
		case "delete":
			do = deleteTenant
		case "exec":
			do = execTenants
		}
		run = func(ctx context.Context, s tenantconfig.Store, a []string, w io.Writer) error {
			return do(ctx, s, a, w, e)
		}
	default:
		return usagef("unknown command %q", cmd)
	}
	if g.redisURL == "" {
		return usagef("no Redis: set -redis or REDIS_URL")
	}
	// One node, Sentinel (master_name=) or Cluster (addr=); the error
	// gives the reason and never the URL's passwords.
	client, err := redisurl.NewClient(g.redisURL)
	if err != nil {
		return usagef("%v", err)
	}
	defer client.Close()
	store, err := redisstore.New(client, g.service, redisstore.WithPrefix(g.prefix))
	if err != nil {
		return err
	}
	err = run(ctx, store, rest, out)
	if errors.Is(err, tenant.ErrUnknown) && (cmd == "show" || cmd == "remove" || cmd == "update") {
		// A wrong -service or -prefix is the likely cause.
		err = fmt.Errorf("%w: service %q (prefix %q) has no such tenant: check -service and -prefix; tenantctl list shows the service's tenants", err, g.service, g.prefix)
	}
	return err
}

// newFlags returns a flag set that reports errors to its caller only.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// idAndFlags takes the tenant id in front of, or among, the flags.
func idAndFlags(fs *flag.FlagSet, args []string) (string, error) {
	id, err := optionalID(fs, args)
	if err == nil && id == "" {
		return "", usagef("no tenant id")
	}
	return id, err
}

// optionalID is idAndFlags for a command whose id may be left out.
func optionalID(fs *flag.FlagSet, args []string) (string, error) {
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", usagef("%v", err)
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return "", usagef("%v", err)
		}
	}
	if fs.NArg() > 0 {
		// Not quoted: a misplaced argument may be a DSN with a password.
		return "", usagef("%d unexpected arguments", fs.NArg())
	}
	return id, nil
}

// setFlags collects --set KEY=VALUE. Its problems are kept aside and
// reported after parsing: the flag package would quote the value, which
// may hold a password.
type setFlags struct {
	values map[string]string
	err    error
}

func (s *setFlags) String() string { return "" }

func (s *setFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	switch {
	case !ok || k == "":
		s.note(errors.New("--set wants KEY=VALUE"))
	case s.values[k] != "" || hasKey(s.values, k):
		s.note(fmt.Errorf("--set %s given twice", k))
	default:
		s.values[k] = val
	}
	return nil
}

func (s *setFlags) note(err error) {
	if s.err == nil {
		s.err = err
	}
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func put(ctx context.Context, store tenantconfig.Store, args []string, out, stderr io.Writer, create bool, templateDSN string) error {
	fs := newFlags("put")
	dsn := fs.String("dsn", "", "the tenant's database URL")
	orm := fs.String("orm", tenantconfig.GORM, "ORM id")
	alias := fs.String("alias", tenantconfig.DefaultAlias, "template alias")
	shared := fs.Bool("allow-shared-database", false, "accept a database another tenant names (load tests, whose instances set resolver.Config.AllowSharedDatabases)")
	noConnect := fs.Bool("no-connect", false, "do not try to connect to the tenant's PostgreSQL database before publishing")
	sets := &setFlags{values: map[string]string{}}
	fs.Var(sets, "set", "deployment KEY=VALUE (repeatable)")
	id, err := idAndFlags(fs, args)
	if err != nil {
		return err
	}
	if sets.err != nil {
		return usageError{sets.err.Error()}
	}
	if *dsn == "" && len(sets.values) == 0 {
		return usagef("give --dsn or --set")
	}
	if err := tenant.ValidateID(id); err != nil {
		return err
	}
	mapping := map[string]string{}
	if len(sets.values) > 0 {
		m, ok := store.(tenantconfig.Mapper)
		if !ok {
			return errors.New("this store keeps no mapping metadata")
		}
		if mapping, err = m.Mapping(ctx); err != nil {
			return err
		}
		if len(mapping) == 0 {
			return errors.New("the store has no mapping_metadata: load a tenant config file first, or use --dsn")
		}
	}
	values := maps.Clone(sets.values)
	if *dsn != "" {
		const key = "\x00dsn" // cannot collide with a deployment key given on the command line
		mapping[key] = "orm_config." + *orm + "." + *alias + ".dsn"
		values[key] = *dsn
	}
	cfg, err := tenantfile.Deploy(mapping, tenantconfig.Config{}, values)
	if err != nil {
		return err
	}
	if err := checkDSNs(cfg); err != nil {
		return err
	}
	if err := checkTemplateDriver(cfg, templateDSN); err != nil {
		return err
	}
	if !*shared {
		if err := checkShared(ctx, store, id, cfg, templateDSN); err != nil {
			return &tenant.Error{ID: id, Err: err}
		}
	}
	if !*noConnect {
		warnUnreachable(ctx, cfg, templateDSN, stderr)
	}
	change := tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: cfg, Create: create, Existing: !create}
	vs, err := store.Apply(ctx, change)
	if err != nil {
		return err
	}
	verb := "updated"
	if create {
		verb = "added"
	}
	fmt.Fprintf(out, "%s %s (version %d)\n", verb, id, vs[0])
	return nil
}

func remove(ctx context.Context, store tenantconfig.Store, args []string, out io.Writer) error {
	fs := newFlags("remove")
	id, err := idAndFlags(fs, args)
	if err != nil {
		return err
	}
	if err := tenant.ValidateID(id); err != nil {
		return err
	}
	vs, err := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: id, Existing: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "removed %s (version %d)\n", id, vs[0])
	return nil
}

func list(ctx context.Context, store tenantconfig.Store, args []string, out io.Writer) error {
	if len(args) > 0 {
		return usagef("list takes no argument")
	}
	ids, err := store.List(ctx)
	if err != nil {
		return err
	}
	slices.Sort(ids)
	for _, id := range ids {
		fmt.Fprintln(out, id)
	}
	return nil
}

func show(ctx context.Context, store tenantconfig.Store, args []string, out io.Writer) error {
	fs := newFlags("show")
	id, err := idAndFlags(fs, args)
	if err != nil {
		return err
	}
	rec, err := store.Get(ctx, id)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(struct {
		Tenant  string              `json:"tenant"`
		Version uint64              `json:"version"`
		Config  tenantconfig.Config `json:"config"`
	}{id, rec.Version, tenantfile.Redact(rec.Config)}, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s\n", b)
	return nil
}

func load(ctx context.Context, store tenantconfig.Store, args []string, out io.Writer) error {
	fs := newFlags("load")
	dry := fs.Bool("dry-run", false, "print the changes, write nothing")
	path, err := idAndFlags(fs, args)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	service := storeService(store)
	f, err := tenantfile.Parse(data, tenantfile.WithService(service), tenantfile.WithDrivers(drivers...))
	if err != nil {
		return err
	}
	want := f.Service(service)
	if len(want) == 0 {
		return fmt.Errorf("%s configures no tenant for service %q: nothing loaded", path, service)
	}
	snap, err := store.Snapshot(ctx)
	if err != nil {
		return err
	}
	have := make(map[string]tenantconfig.Config, len(snap))
	for id, r := range snap {
		have[id] = r.Config
	}
	diff := tenantfile.Diff(have, want)
	for _, e := range diff {
		fmt.Fprintln(out, e)
	}
	if *dry {
		fmt.Fprintf(out, "dry run: %d changes, nothing written\n", len(diff))
		return nil
	}
	if m, ok := store.(tenantconfig.Mapper); ok {
		if err := m.SetMapping(ctx, f.MappingMetadata); err != nil {
			return err
		}
	}
	if len(diff) == 0 {
		fmt.Fprintln(out, "no change")
		return nil
	}
	// Every change is conditional on what the diff was made from, so a
	// change someone else makes meanwhile is never overwritten.
	changes := make([]tenantconfig.Change, len(diff))
	for i, e := range diff {
		switch e.Kind {
		case tenantfile.EditRemoved:
			changes[i] = tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: e.Tenant, IfVersion: snap[e.Tenant].Version}
		case tenantfile.EditAdded:
			changes[i] = tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: e.Tenant, Config: e.New, Create: true}
		default:
			changes[i] = tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: e.Tenant, Config: e.New, IfVersion: snap[e.Tenant].Version}
		}
	}
	if _, err := store.Apply(ctx, changes...); err != nil {
		if errors.Is(err, tenantconfig.ErrConflict) || errors.Is(err, tenantconfig.ErrExists) {
			return fmt.Errorf("the store changed while loading, nothing written: run load again (%w)", err)
		}
		return err
	}
	fmt.Fprintf(out, "loaded %d changes\n", len(changes))
	return nil
}

// drivers are the drivers the library ships.
var drivers = []string{pgdriver.DriverName, sqlitedriver.DriverName}

// checkDSNs parses each PostgreSQL DSN as the resolver will, and
// refuses a DSN of no given driver that is neither PostgreSQL's nor a
// SQLite file, so that a DSN no instance could use is refused here
// rather than by every instance. Errors never quote the DSN.
func checkDSNs(c tenantconfig.Config) error {
	for orm, aliases := range c.ORM {
		for alias, db := range aliases {
			if db.Driver != "" && !slices.Contains(drivers, db.Driver) {
				return fmt.Errorf("orm_config.%s.%s: unsupported driver %q", orm, alias, db.Driver)
			}
			if db.DSN == "" {
				continue
			}
			pg := db.Driver == pgdriver.DriverName || (db.Driver == "" && pgDSN(db.DSN))
			if !pg {
				if db.Driver == "" && !sqliteFile(db.DSN) {
					return fmt.Errorf("orm_config.%s.%s.dsn: neither a PostgreSQL DSN (postgres://…) nor a SQLite file (file:…, or a path ending in .db, .sqlite or .sqlite3)", orm, alias)
				}
				continue
			}
			if _, err := pgdriver.New().Connector("", tenantconfig.DataSource{DSN: db.DSN}); err != nil {
				return fmt.Errorf("orm_config.%s.%s.dsn: %w", orm, alias, err)
			}
		}
	}
	return nil
}

// keywordDSN reports whether dsn is in PostgreSQL's keyword/value form
// ("host=db dbname=acme"): a "=" before any "?", which a SQLite file's
// parameters follow.
func keywordDSN(dsn string) bool {
	before, _, _ := strings.Cut(dsn, "?")
	return strings.Contains(before, "=")
}

// sqliteFile reports whether dsn names a SQLite database: a file: URI,
// or a path with a SQLite extension.
func sqliteFile(dsn string) bool {
	if strings.HasPrefix(dsn, "file:") {
		return true
	}
	path, _, _ := strings.Cut(dsn, "?")
	switch filepath.Ext(path) {
	case ".db", ".sqlite", ".sqlite3":
		return true
	}
	return false
}

func storeService(s tenantconfig.Store) string {
	if rs, ok := s.(*redisstore.Store); ok {
		return rs.Service()
	}
	return ""
}
