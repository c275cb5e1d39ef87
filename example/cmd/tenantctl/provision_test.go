package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/provision"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
)

// secret is the password put in DATABASE_URL (the test server trusts
// every local connection, so it is accepted and ignored): it must never
// be printed.
const secret = "hunter2-db"

var ids atomic.Int64

// pcli runs tenantctl against the real PostgreSQL and Redis, on a
// service of its own.
type pcli struct {
	*cli
	service string
	admin   *sql.DB
	store   tenantconfig.Store
}

func newPCLI(t *testing.T) *pcli {
	t.Helper()
	u, err := url.Parse(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), secret)
	c := &pcli{
		cli:     &cli{t: t, env: map[string]string{"REDIS_URL": testenv.RedisURL(t), "DATABASE_URL": u.String()}},
		service: fmt.Sprintf("provision-%d-%d", os.Getpid(), ids.Add(1)),
		admin:   testenv.Admin(t),
	}
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	if c.store, err = redisstore.New(client, c.service); err != nil {
		t.Fatal(err)
	}
	return c
}

// id returns a tenant id of its own, whose database is dropped at the
// end.
func (c *pcli) id() string {
	id := fmt.Sprintf("t%d-%d.example", os.Getpid(), ids.Add(1))
	c.dropAtEnd(provision.DatabaseName(id))
	return id
}

func (c *pcli) dropAtEnd(name string) {
	c.t.Cleanup(func() {
		if _, err := c.admin.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`); err != nil {
			c.t.Errorf("drop %s: %v", name, err)
		}
	})
}

// ctl runs tenantctl on the service and fails the test if anything it
// prints holds the password.
func (c *pcli) ctl(args ...string) (int, string, string) {
	c.t.Helper()
	code, out, errOut := c.run(append([]string{"-service", c.service}, args...)...)
	if strings.Contains(out+errOut, secret) {
		c.t.Fatalf("tenantctl %v printed the password:\n%s%s", args, out, errOut)
	}
	return code, out, errOut
}

func (c *pcli) mustCtl(args ...string) string {
	c.t.Helper()
	code, out, errOut := c.ctl(args...)
	if code != 0 {
		c.t.Fatalf("tenantctl %v: exit %d: %s", args, code, errOut)
	}
	return out
}

// killedAfter runs tenantctl in a process of its own that exits with
// exitKilled right after step.
func (c *pcli) killedAfter(step provision.Step, args ...string) {
	c.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"-service", c.service}, args...)...)
	cmd.Env = append(os.Environ(), envExitAfter+"="+string(step),
		"REDIS_URL="+c.env["REDIS_URL"], "DATABASE_URL="+c.env["DATABASE_URL"],
		"GORACE=atexit_sleep_ms=0") // the race runtime sleeps 1 s at exit by default
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitKilled {
		c.t.Fatalf("tenantctl %v killed after %s: %v, want exit %d:\n%s", args, step, err, exitKilled, out.String())
	}
	if strings.Contains(out.String(), secret) {
		c.t.Fatalf("printed the password:\n%s", out.String())
	}
}

// published returns the database name the store holds for id.
func (c *pcli) published(id string) (string, uint64, bool) {
	c.t.Helper()
	rec, err := c.store.Get(context.Background(), id)
	if errors.Is(err, tenant.ErrUnknown) {
		return "", 0, false
	}
	if err != nil {
		c.t.Fatal(err)
	}
	db, ok := rec.Config.Database(tenantconfig.GORM, tenantconfig.DefaultAlias)
	if !ok || db.DSN != "" || db.Host != "" || db.User != "" || db.Password != "" {
		c.t.Fatalf("%s published as %v, want a database name alone", id, db)
	}
	return db.Name, rec.Version, true
}

func (c *pcli) exists(name string) bool {
	c.t.Helper()
	var n int
	if err := c.admin.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		c.t.Fatal(err)
	}
	return n == 1
}

// checkCreated checks a tenant tenantctl created: its database with the
// tenant tables, one ledger row, the first hospital, and the store
// holding it on that database.
func (c *pcli) checkCreated(id, name string) {
	c.t.Helper()
	if !c.exists(name) {
		c.t.Fatalf("%s: no database %s", id, name)
	}
	db, err := sql.Open("pgx", testenv.DSN(c.t, name))
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	var tables []string
	rows, err := db.Query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
	if err != nil {
		c.t.Fatal(err)
	}
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		tables = append(tables, s)
	}
	_ = rows.Close()
	if got, want := strings.Join(tables, " "), "hospitals patients "+migrate.LedgerTable; got != want {
		c.t.Fatalf("%s: tables %q, want %q", id, got, want)
	}
	var ledger, hospitals int
	if err := db.QueryRow("SELECT count(*) FROM " + migrate.LedgerTable).Scan(&ledger); err != nil || ledger != 1 {
		c.t.Fatalf("%s: %d ledger rows (%v), want 1", id, ledger, err)
	}
	if err := db.QueryRow("SELECT count(*) FROM hospitals WHERE name = $1", hospital.FirstHospital).Scan(&hospitals); err != nil || hospitals != 1 {
		c.t.Fatalf("%s: %d first hospitals (%v), want 1", id, hospitals, err)
	}
	if got, _, ok := c.published(id); !ok || got != name {
		c.t.Fatalf("%s: published on %q (%v), want %s", id, got, ok, name)
	}
}

// TestCreateDelete creates a tenant with tenantctl and checks it, runs
// create again (nothing changes), deletes it keeping its database, then
// dropping it, then again.
func TestCreateDelete(t *testing.T) {
	c := newPCLI(t)
	id := c.id()
	name := provision.DatabaseName(id)
	out := c.mustCtl("create", id)
	for _, want := range []string{"database " + name + " ready", "migrated", "hooks run", id + " published", "created " + id + " on database " + name} {
		if !strings.Contains(out, want) {
			t.Fatalf("create output lacks %q:\n%s", want, out)
		}
	}
	c.checkCreated(id, name)
	_, version, _ := c.published(id)

	out = c.mustCtl("create", id)
	if !strings.Contains(out, "exists already") {
		t.Fatalf("second create: %q", out)
	}
	if _, v, _ := c.published(id); v != version {
		t.Fatalf("second create changed the store: version %d -> %d", version, v)
	}
	c.checkCreated(id, name)
	if got := c.mustCtl("list"); got != id+"\n" {
		t.Fatalf("list = %q", got)
	}

	out = c.mustCtl("delete", id)
	if _, _, ok := c.published(id); ok || !c.exists(name) || !strings.Contains(out, "kept") {
		t.Fatalf("delete: published %v, database exists %v; want unpublished, kept:\n%s", ok, c.exists(name), out)
	}
	out = c.mustCtl("delete", id, "--drop-database")
	if c.exists(name) || !strings.Contains(out, "database "+name+" dropped") {
		t.Fatalf("delete --drop-database: database exists %v:\n%s", c.exists(name), out)
	}
	if out := c.mustCtl("delete", id, "--drop-database"); !strings.Contains(out, "gone already") {
		t.Fatalf("delete of a gone tenant: %q", out)
	}
	code, _, errOut := c.ctl("delete", id)
	if code != exitRejected || !strings.Contains(errOut, "unknown tenant") || !strings.Contains(errOut, id) {
		t.Fatalf("delete of a gone tenant without --drop-database: exit %d %q", code, errOut)
	}
}

// TestCreateKilledAfterEachStep kills tenantctl create right after each
// of its steps, then runs it again: the tenant is published only when
// every step is done, and the re-run always ends with it complete. The
// same for delete --drop-database, which ends with it gone.
func TestCreateKilledAfterEachStep(t *testing.T) {
	c := newPCLI(t)
	for _, step := range []provision.Step{provision.StepDatabase, provision.StepMigrate, provision.StepHooks, provision.StepPublish} {
		t.Run("create/"+string(step), func(t *testing.T) {
			id := c.id()
			name := provision.DatabaseName(id)
			c.killedAfter(step, "create", id)
			if _, _, ok := c.published(id); ok != (step == provision.StepPublish) {
				t.Fatalf("killed after %s: published %v", step, ok)
			}
			if !c.exists(name) {
				t.Fatalf("killed after %s: no database", step)
			}
			c.mustCtl("create", id)
			c.checkCreated(id, name)
		})
	}
	for _, step := range []provision.Step{provision.StepUnpublish, provision.StepDrain, provision.StepDeleteHooks, provision.StepDrop} {
		t.Run("delete/"+string(step), func(t *testing.T) {
			id := c.id()
			name := provision.DatabaseName(id)
			c.mustCtl("create", id)
			c.killedAfter(step, "delete", id, "--drop-database")
			if _, _, ok := c.published(id); ok {
				t.Fatalf("killed after %s: still published", step)
			}
			if c.exists(name) != (step != provision.StepDrop) {
				t.Fatalf("killed after %s: database exists %v", step, c.exists(name))
			}
			c.mustCtl("delete", id, "--drop-database")
			if _, _, ok := c.published(id); ok || c.exists(name) {
				t.Fatalf("after the re-run: published %v, database exists %v", ok, c.exists(name))
			}
		})
	}
}

// TestProvisionRejections: bad ids, bad --db names, unknown tenants,
// names in use: refused with the input named, exit status 1 (2 for
// usage), and nothing created: no database, no store change.
func TestProvisionRejections(t *testing.T) {
	c := newPCLI(t)
	owner := c.id()
	c.mustCtl("create", owner)
	ownerDB := provision.DatabaseName(owner)
	fresh := c.id()
	freshDB := provision.DatabaseName(fresh)
	c.dropAtEnd("acme_other")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"slash in id", []string{"create", "a/b"}, 1, `tenant "a/b"`},
		{"dots in id", []string{"create", "../x"}, 1, `tenant "../x"`},
		{"empty id", []string{"create", ""}, 2, "no tenant id"},
		{"long id", []string{"create", strings.Repeat("x", 129)}, 1, "129 bytes"},
		{"quote in --db", []string{"create", fresh, "--db", `ac"me`}, 1, `"ac\"me"`},
		{"space in --db", []string{"create", fresh, "--db", "ac me"}, 1, `"ac me"`},
		{"upper case --db", []string{"create", fresh, "--db", "Acme"}, 1, `"Acme"`},
		{"long --db", []string{"create", fresh, "--db", strings.Repeat("a", 64)}, 1, "64 bytes"},
		{"url as --db", []string{"create", fresh, "--db", "postgres://u:" + secret + "@db/x"}, 1, "not a URL"},
		{"server's database", []string{"create", fresh, "--db", "postgres"}, 1, `"postgres"`},
		{"another tenant's database", []string{"create", fresh, "--db", ownerDB}, 1, owner},
		{"exists with another database", []string{"create", owner, "--db", "acme_other"}, 1, ownerDB},
		{"delete unknown", []string{"delete", fresh}, 1, fresh},
		{"delete bad id", []string{"delete", "a/b", "--drop-database"}, 1, `tenant "a/b"`},
		{"delete another database", []string{"delete", owner, "--db", "acme_other", "--drop-database"}, 1, ownerDB},
		{"create without id", []string{"create"}, 2, "no tenant id"},
		{"negative drain", []string{"delete", fresh, "--drain-timeout", "-1s"}, 2, "--drain-timeout"},
		{"-data with PostgreSQL", []string{"-data", t.TempDir(), "create", fresh}, 2, "-data is for SQLite"},
		{"unknown flag", []string{"create", fresh, "--drop-database"}, 2, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := c.ctl(tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.want)
			}
			if got := c.mustCtl("list"); got != owner+"\n" {
				t.Fatalf("the store changed: %q", got)
			}
			for _, n := range []string{freshDB, "acme_other", "ac me", "Acme", `ac"me`} {
				if c.exists(n) {
					t.Fatalf("database %q created", n)
				}
			}
			if !c.exists(ownerDB) {
				t.Fatal("the owner's database is gone")
			}
		})
	}
}

// TestCreateDeleteSQLite: without DATABASE_URL, tenants are SQLite files
// in -data DIR.
func TestCreateDeleteSQLite(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	if code, _, errOut := c.run("create", "acme"); code != exitUsage || !strings.Contains(errOut, "-data DIR") {
		t.Fatalf("no -data: exit %d %q", code, errOut)
	}
	c.must("-data", dir, "create", "acme")
	file := filepath.Join(dir, provision.DatabaseName("acme")+".db")
	show := c.must("show", "acme")
	if !strings.Contains(show, file) {
		t.Fatalf("show does not give the file %s:\n%s", file, show)
	}
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM hospitals WHERE name = ?", hospital.FirstHospital).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d first hospitals (%v)", n, err)
	}
	_ = db.Close()
	c.env["DATABASE_URL"] = "sqlite:" + filepath.Join(dir, "central.db")
	if out := c.must("-data", dir, "create", "acme"); !strings.Contains(out, "exists already") {
		t.Fatalf("second create: %q", out)
	}
	c.must("-data", dir, "delete", "acme", "--drop-database")
	if _, err := os.Stat(file); !os.IsNotExist(err) || c.must("list") != "" {
		t.Fatalf("after delete: %v, list %q", err, c.must("list"))
	}
}

// TestProvisionInputBeforeServer: a bad id or name is refused before
// the database server is reached; an unreachable server is reported
// without DATABASE_URL's password.
func TestProvisionInputBeforeServer(t *testing.T) {
	c := newCLI(t)
	c.env["DATABASE_URL"] = "postgres://postgres:" + secret + "@127.0.0.1:1/postgres?connect_timeout=2"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "a/b"}, "invalid tenant id"},
		{[]string{"create", "acme", "--db", "ac me"}, `invalid database name "ac me"`},
		{[]string{"delete", "acme", "--db", "Acme"}, `invalid database name "Acme"`},
		{[]string{"create", "acme"}, "127.0.0.1"},
	} {
		code, _, errOut := c.run(tt.args...)
		if code != exitRejected || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, secret) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q, without the password", tt.args, code, errOut, exitRejected, tt.want)
		}
	}
	if got := c.must("list"); got != "" {
		t.Fatalf("the store changed: %q", got)
	}
}
