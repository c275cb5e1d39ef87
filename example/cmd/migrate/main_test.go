package main

import (
	"bytes"
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
	"gorm.io/gorm/schema"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/migrate"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// cli runs the command in process with an environment of its own.
type cli struct {
	t   *testing.T
	env map[string]string
}

// run runs the command and returns its exit status, stdout and stderr.
func (c cli) run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return c.env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

// must runs the command and fails the test unless it exits 0.
func (c cli) must(args ...string) string {
	c.t.Helper()
	code, out, errOut := c.run(args...)
	if code != exitOK {
		c.t.Fatalf("migrate %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
	}
	return out
}

// embeddedIDs are the tenants of example/tenant_config.json.
var embeddedIDs = []string{"tenant-1.localhost", "tenant-2.localhost"}

// wantTables returns the tables each database should hold: where
// hospital.Strategy sends each model's table (asked as the plugin asks
// it when migrating), with the ledger on both.
func wantTables(t *testing.T) (central, tenant []string) {
	t.Helper()
	strategy := hospital.Strategy()
	for _, m := range hospital.Models() {
		sch, err := schema.Parse(m, &sync.Map{}, schema.NamingStrategy{})
		if err != nil {
			t.Fatal(err)
		}
		route, ok := strategy.Route(tenantplugin.Statement{Context: context.Background(), Op: tenantplugin.OpMigrate, Table: sch.Table, Model: m, Schema: sch})
		if alias, reserved := route.Alias(); ok && reserved {
			if alias != tenantplugin.DefaultAlias {
				t.Fatalf("%s goes to %q, not the central database", sch.Table, alias)
			}
			central = append(central, sch.Table)
		} else {
			tenant = append(tenant, sch.Table)
		}
	}
	central = append(central, migrate.LedgerTable)
	tenant = append(tenant, migrate.LedgerTable)
	slices.Sort(central)
	slices.Sort(tenant)
	if len(central) < 2 || len(tenant) < 2 {
		t.Fatalf("central %v, tenant %v: the strategy places no model on one side", central, tenant)
	}
	return central, tenant
}

// sqliteTables lists the tables of a SQLite file, read directly and
// read-only.
func sqliteTables(t *testing.T, path string) []string {
	t.Helper()
	u := url.URL{Scheme: "file", Path: path, RawQuery: "mode=ro"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// rows returns the summary's rows: database → status.
func summaryRows(t *testing.T, stdout string) map[string]string {
	t.Helper()
	lines := strings.Split(stdout, "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "DATABASE") {
		t.Fatalf("no summary table:\n%s", stdout)
	}
	out := map[string]string{}
	for _, l := range lines[1:] {
		if l == "" {
			break
		}
		f := strings.Fields(l)
		status := f[1]
		if status == "up" {
			status = "up to date"
		}
		out[f[0]] = status
	}
	return out
}

// wantStatus fails unless every database of the summary has the status
// given, or want's status for those it names.
func wantStatus(t *testing.T, stdout string, all string, want map[string]string, dbs ...string) {
	t.Helper()
	got := summaryRows(t, stdout)
	if len(got) != len(dbs) {
		t.Errorf("summary has %d databases, want %d:\n%s", len(got), len(dbs), stdout)
	}
	for _, db := range dbs {
		w, ok := want[db]
		if !ok {
			w = all
		}
		if got[db] != w {
			t.Errorf("%s: %q, want %q", db, got[db], w)
		}
	}
}

// TestEmbeddedDefault: without a store the command migrates the
// embedded tenants on SQLite files, each table where hospital's
// strategy puts it; a second run finds everything up to date.
func TestEmbeddedDefault(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	c := cli{t: t, env: map[string]string{}}
	dbs := append([]string{"reserved:default"}, embeddedIDs...)

	out := c.must("-data", dir)
	wantStatus(t, out, "migrated", nil, dbs...)
	central, tenant := wantTables(t)
	if got := sqliteTables(t, filepath.Join(dir, "central.db")); !slices.Equal(got, central) {
		t.Errorf("central.db: %v, want %v", got, central)
	}
	for _, id := range embeddedIDs {
		if got := sqliteTables(t, filepath.Join(dir, "tenants", id+".db")); !slices.Equal(got, tenant) {
			t.Errorf("%s: %v, want %v", id, got, tenant)
		}
	}
	if !strings.Contains(out, "3 databases: 3 migrated") {
		t.Errorf("no count line:\n%s", out)
	}

	out = c.must("-data", dir)
	wantStatus(t, out, "up to date", nil, dbs...)
	out = c.must("-data", dir, "--check")
	wantStatus(t, out, "up to date", nil, dbs...)
}

// TestReadOnlyRunsCreateNothing: --check on a data directory not made
// yet reports every database behind and exits 1, and --dry-run prints
// the plan and the targets; neither creates a file.
func TestReadOnlyRunsCreateNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	c := cli{t: t, env: map[string]string{}}
	dbs := append([]string{"reserved:default"}, embeddedIDs...)

	code, out, errOut := c.run("-data", dir, "--check")
	if code != exitFailed {
		t.Fatalf("--check: exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
	}
	wantStatus(t, out, "behind", nil, dbs...)
	if !strings.Contains(out, "behind: reserved:default tenant-1.localhost tenant-2.localhost") {
		t.Errorf("--check does not list the databases behind:\n%s", out)
	}
	out = c.must("-data", dir, "--dry-run")
	for _, want := range []string{"reserved:default: table audit_logs", "each tenant: table hospitals, table patients", "tenant-1.localhost\n", "tenant-2.localhost\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("--dry-run output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a read-only run made %s: %v", dir, err)
	}

	// On files that exist, --check opens them read-only: one tenant
	// migrated, the other not.
	c.must("-data", dir, "--tenant", "tenant-1.localhost")
	before := sqliteTables(t, filepath.Join(dir, "central.db"))
	code, out, _ = c.run("-data", dir, "--check")
	if code != exitFailed {
		t.Fatalf("--check: exit %d, want %d", code, exitFailed)
	}
	wantStatus(t, out, "up to date", map[string]string{"tenant-2.localhost": "behind"}, dbs...)
	if _, err := os.Stat(filepath.Join(dir, "tenants", "tenant-2.localhost.db")); !os.IsNotExist(err) {
		t.Fatalf("--check made tenant-2's file: %v", err)
	}
	if got := sqliteTables(t, filepath.Join(dir, "central.db")); !slices.Equal(got, before) {
		t.Fatalf("--check changed central.db: %v, then %v", before, got)
	}
}

// TestUsage: a command line that cannot run exits 2 with a message
// naming what is wrong, and creates nothing.
func TestUsage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown tenant", nil, []string{"--tenant", "tenant-1.localhost", "--tenant", "nobody.localhost"}, `unknown tenant "nobody.localhost"`},
		{"malformed tenant", nil, []string{"--tenant", "../etc"}, "invalid tenant id"},
		{"empty tenant", nil, []string{"--tenant", ""}, "invalid tenant id"},
		{"negative parallel", nil, []string{"--parallel", "-1"}, "--parallel -1"},
		{"parallel not a number", nil, []string{"--parallel", "x"}, `invalid value "x" for flag -parallel`},
		{"unknown flag", nil, []string{"--frobnicate"}, "flag provided but not defined: -frobnicate"},
		{"extra argument", nil, []string{"postgres://u:hunter2@db/x"}, "1 unexpected arguments"},
		{"check and dry run", nil, []string{"--check", "--dry-run"}, "exclude each other"},
		{"zero connect timeout", nil, []string{"--connect-timeout", "0s"}, "--connect-timeout 0s"},
		{"missing goose dir", nil, []string{"-goose", filepath.Join(dir, "nope")}, "-goose"},
		{"unknown service", nil, []string{"-service", "billing"}, `no tenant for service "billing"`},
		{"database without store", map[string]string{"DATABASE_URL": "postgres://u:hunter2@db/x"}, nil, "DATABASE_URL is set but no config store"},
		{"prefix without store", nil, []string{"-prefix", "x"}, "-prefix needs a config store"},
		{"store without database", map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, nil, "no central database"},
		{"data with store", map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0", "DATABASE_URL": "postgres://db/x"}, []string{"-data", dir}, "-data is for the embedded"},
		{"bad database URL", map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0", "DATABASE_URL": "postgres://u:hunter2@db:99999999/x"}, nil, "DATABASE_URL"},
		{"bad Redis URL", map[string]string{"REDIS_URL": "redis://:hunter2@127.0.0.1:1/x", "DATABASE_URL": "postgres://db/x"}, nil, "invalid database number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			args := tt.args
			if !slices.Contains(args, "-data") && env["REDIS_URL"] == "" {
				args = append([]string{"-data", dir}, args...)
			}
			code, out, errOut := cli{t: t, env: env}.run(args...)
			if code != exitUsage || !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "usage: migrate") {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, exitUsage, tt.want)
			}
			if out != "" {
				t.Errorf("stdout: %q", out)
			}
			if strings.Contains(errOut, "hunter2") {
				t.Errorf("stderr shows a password: %q", errOut)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("a usage error made %s: %v", dir, err)
			}
		})
	}
}

// TestHelp: -h prints the usage on stdout and exits 0, doing nothing.
func TestHelp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	code, out, errOut := cli{t: t, env: map[string]string{}}.run("-data", dir, "-h")
	if code != exitOK || !strings.HasPrefix(out, "usage: migrate") || errOut != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("-h made %s: %v", dir, err)
	}
}

// TestPlainOutputWithoutTerminal: with stdout and stderr not terminals,
// progress is one plain line per database and nothing holds an escape
// code.
func TestPlainOutputWithoutTerminal(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := cli{t: t, env: map[string]string{"TERM": "xterm-256color"}}.run("-data", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.ContainsRune(out+errOut, '\x1b') || strings.ContainsRune(out+errOut, '\r') {
		t.Fatalf("control characters in the output:\nstdout %q\nstderr %q", out, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 progress lines, got:\n%s", errOut)
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 3 || f[1] != "migrated" || !strings.HasSuffix(f[2], "ms") {
			t.Errorf("progress line %q, want \"DATABASE  migrated  DURATION\"", l)
		}
	}
}
