package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"slices"
	"time"

	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
)

// Defaults of the flags.
const (
	defaultService        = "hospital"
	defaultDataDir        = "data"
	defaultConnectTimeout = 5 * time.Second
)

// errHelp is -h or --help: the usage goes to stdout, exit 0.
var errHelp = errors.New("help requested")

// settings are the command line and the environment, checked.
type settings struct {
	service, redisURL, prefix string
	// databaseURL is the central database and the tenants' template
	// (with a store only).
	databaseURL string
	// dataDir holds the embedded default's SQLite files.
	dataDir string
	// tenants are the --tenant ids, each once, in the order given; none
	// means every tenant.
	tenants         []string
	parallel        int
	continueOnError bool
	check, dryRun   bool
	connectTimeout  time.Duration
	gooseDir        string
}

// embedded reports whether the run migrates the embedded default rather
// than a store's tenants.
func (s settings) embedded() bool { return s.redisURL == "" }

// readOnly reports whether the run changes nothing.
func (s settings) readOnly() bool { return s.check || s.dryRun }

// parseArgs reads the command line and the environment. Every error is
// a usageError but errHelp; nothing is opened or created.
func parseArgs(args []string, getenv func(string) string) (settings, error) {
	s := settings{databaseURL: getenv("DATABASE_URL")}
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&s.service, "service", defaultService, "service name")
	fs.StringVar(&s.redisURL, "redis", getenv("REDIS_URL"), "Redis URL of the config store")
	fs.StringVar(&s.prefix, "prefix", redisstore.DefaultPrefix, "key prefix of the config store")
	fs.StringVar(&s.dataDir, "data", defaultDataDir, "directory of the embedded default's SQLite files")
	fs.Func("tenant", "migrate only this tenant (repeatable)", func(id string) error {
		if err := tenant.ValidateID(id); err != nil {
			return err
		}
		if !slices.Contains(s.tenants, id) {
			s.tenants = append(s.tenants, id)
		}
		return nil
	})
	fs.IntVar(&s.parallel, "parallel", 0, "databases at once")
	fs.BoolVar(&s.continueOnError, "continue-on-error", false, "keep going after a failure")
	fs.BoolVar(&s.check, "check", false, "list the databases behind, change nothing")
	fs.BoolVar(&s.dryRun, "dry-run", false, "print the plan, change nothing")
	fs.DurationVar(&s.connectTimeout, "connect-timeout", defaultConnectTimeout, "per-database connect timeout")
	fs.StringVar(&s.gooseDir, "goose", "", "directory of goose migrations")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return s, errHelp
		}
		return s, usagef("%v", err)
	}
	if fs.NArg() > 0 {
		// Not quoted: a misplaced argument may be a URL with a password.
		return s, usagef("%d unexpected arguments: every option is a flag", fs.NArg())
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return s, s.validate(given)
}

// validate checks the settings together; given names the flags set on
// the command line.
func (s settings) validate(given map[string]bool) error {
	switch {
	case s.service == "":
		return usagef("empty -service")
	case s.parallel < 0:
		return usagef("--parallel %d: want 0 (derived from the resolver's budget) or more", s.parallel)
	case s.connectTimeout <= 0:
		return usagef("--connect-timeout %v: want a positive duration", s.connectTimeout)
	case s.check && s.dryRun:
		return usagef("--check and --dry-run exclude each other")
	}
	if s.gooseDir != "" {
		fi, err := os.Stat(s.gooseDir)
		if err != nil {
			return usagef("-goose: %v", err)
		}
		if !fi.IsDir() {
			return usagef("-goose %s: not a directory", s.gooseDir)
		}
	}
	if s.embedded() {
		switch {
		case s.databaseURL != "":
			return usagef("DATABASE_URL is set but no config store is: set -redis or REDIS_URL, or unset DATABASE_URL to migrate the embedded SQLite default")
		case given["prefix"]:
			return usagef("-prefix needs a config store: set -redis or REDIS_URL")
		case s.dataDir == "":
			return usagef("empty -data")
		}
		return nil
	}
	if given["data"] {
		return usagef("-data is for the embedded SQLite default, without a config store")
	}
	if s.databaseURL == "" {
		return usagef("no central database: set DATABASE_URL (it is also the tenants' template)")
	}
	// Parsed as the resolver will; the error never quotes the URL.
	if _, err := pgdriver.New().Connector("", tenantconfig.DataSource{DSN: s.databaseURL}); err != nil {
		return usagef("DATABASE_URL: %v", err)
	}
	return nil
}

// isTerminal reports whether w is a terminal (a character device; the
// module has no terminal package to ask more precisely), and TERM does
// not say it draws nothing.
func isTerminal(w io.Writer, getenv func(string) string) bool {
	f, ok := w.(*os.File)
	if !ok || getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
