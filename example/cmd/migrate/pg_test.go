package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/redisurl"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
)

// fleet is a central database and tenant databases on the test
// PostgreSQL, the tenants published in the test Redis under a service
// of their own.
type fleet struct {
	t       *testing.T
	cli     cli
	store   *redisstore.Store
	service string
	central string
	ids     []string          // sorted
	dbs     map[string]string // tenant id → database name
}

// newFleet makes n tenant databases and a central one. Tenants are
// published half by database name (merged over DATABASE_URL, the
// template), half by full DSN.
func newFleet(t *testing.T, n int) *fleet {
	t.Helper()
	names := testenv.Databases(t, n+1)
	redisURL := testenv.RedisURL(t)
	client, err := redisurl.NewClient(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	f := &fleet{
		t:       t,
		service: fmt.Sprintf("%s-%d", regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(t.Name(), "-"), time.Now().UnixNano()),
		central: names[0],
		dbs:     map[string]string{},
	}
	f.store, err = redisstore.New(client, f.service)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tag := "{" + redisstore.DefaultPrefix + ":" + f.service + "}"
		_ = client.Del(context.Background(), tag+":configs", tag+":versions", tag+":revision", tag+":mapping", tag+":probe").Err()
	})
	f.cli = cli{t: t, env: map[string]string{"REDIS_URL": redisURL, "DATABASE_URL": testenv.DSN(t, f.central)}}
	var changes []tenantconfig.Change
	for i, name := range names[1:] {
		id := fmt.Sprintf("t%03d.example", i)
		f.ids = append(f.ids, id)
		f.dbs[id] = name
		ds := tenantconfig.DataSource{Name: name}
		if i%2 == 1 {
			ds = tenantconfig.DataSource{DSN: testenv.DSN(t, name)}
		}
		changes = append(changes, put(id, ds))
	}
	if _, err := f.store.Apply(context.Background(), changes...); err != nil {
		t.Fatal(err)
	}
	return f
}

func put(id string, ds tenantconfig.DataSource) tenantconfig.Change {
	cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: ds}},
	}}
	return tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: cfg}
}

// run runs the command on the fleet's service.
func (f *fleet) run(args ...string) (int, string, string) {
	return f.cli.run(append([]string{"-service", f.service}, args...)...)
}

func (f *fleet) must(args ...string) string {
	f.t.Helper()
	return f.cli.must(append([]string{"-service", f.service}, args...)...)
}

// names are the summary's database names: reserved:default and the
// tenant ids.
func (f *fleet) names() []string { return append([]string{"reserved:default"}, f.ids...) }

// query runs q on database name with a plain connection of its own,
// not the command's.
func query[T any](t *testing.T, name, q string) []T {
	t.Helper()
	db, err := sql.Open("pgx", testenv.DSN(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %s: %v", name, q, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// pgTables lists the tables of database name's public schema.
func pgTables(t *testing.T, name string) []string {
	t.Helper()
	return query[string](t, name, "SELECT tablename::text FROM pg_catalog.pg_tables WHERE schemaname = 'public' ORDER BY 1")
}

func exec(t *testing.T, name, q string) {
	t.Helper()
	db, err := sql.Open("pgx", testenv.DSN(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %s: %v", name, q, err)
	}
}

// Test50Tenants: fifty tenants of a Redis store are migrated, each
// table exactly where hospital's strategy says and nowhere else, read
// back from each database with a plain connection. Before that, an
// unknown --tenant is refused and creates nothing.
func Test50Tenants(t *testing.T) {
	f := newFleet(t, 50)
	code, out, errOut := f.run("--tenant", "t001.example", "--tenant", "nobody.example")
	if code != exitUsage || !strings.Contains(errOut, `unknown tenant "nobody.example"`) {
		t.Fatalf("unknown --tenant: exit %d, stderr %q", code, errOut)
	}
	if out != "" {
		t.Fatalf("unknown --tenant printed %q", out)
	}
	for _, name := range append([]string{f.central}, f.dbs[f.ids[0]], f.dbs[f.ids[1]]) {
		if got := pgTables(t, name); len(got) > 0 {
			t.Fatalf("unknown --tenant created tables in %s: %v", name, got)
		}
	}

	start := time.Now()
	out = f.must()
	t.Logf("50 tenants and the central database migrated in %v", time.Since(start).Round(time.Millisecond))
	wantStatus(t, out, "migrated", nil, f.names()...)
	central, tenant := wantTables(t)
	if got := pgTables(t, f.central); !slices.Equal(got, central) {
		t.Errorf("central database: %v, want %v", got, central)
	}
	for _, id := range f.ids {
		if got := pgTables(t, f.dbs[id]); !slices.Equal(got, tenant) {
			t.Errorf("%s: %v, want %v", id, got, tenant)
		}
	}
	start = time.Now()
	wantStatus(t, f.must(), "up to date", nil, f.names()...)
	t.Logf("re-run, all up to date, in %v", time.Since(start).Round(time.Millisecond))
}

// hungListener accepts connections on loopback and never answers: a
// database that does not answer. It is closed, and its connections
// too, when the test ends.
func hungListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

// TestUnreachableTenant: a tenant whose database accepts connections
// and never answers is reported by its id, with the reason, within the
// connect timeout, and the others are migrated (--continue-on-error).
// Without that flag the first failure stops the tenants not yet
// started. Once its config points at a real database, a re-run
// migrates it alone.
func TestUnreachableTenant(t *testing.T) {
	f := newFleet(t, 7)
	spare := f.dbs[f.ids[6]]
	f.ids, f.dbs[f.ids[6]] = f.ids[:6], ""
	if _, err := f.store.Apply(context.Background(), tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "t006.example"}); err != nil {
		t.Fatal(err)
	}
	const bad = "t003.example"
	addr := hungListener(t)
	if _, err := f.store.Apply(context.Background(), put(bad, tenantconfig.DataSource{DSN: "postgres://postgres:hunter2-unreachable@" + addr + "/nowhere?sslmode=disable"})); err != nil {
		t.Fatal(err)
	}

	const timeout = time.Second
	start := time.Now()
	var stdout, stderr stampedWriter
	code := run(context.Background(), []string{"-service", f.service, "--continue-on-error", "--connect-timeout", timeout.String()},
		func(k string) string { return f.cli.env[k] }, &stdout, &stderr)
	elapsed := time.Since(start)
	out, errOut := stdout.String(), stderr.String()
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
	}
	wantStatus(t, out, "migrated", map[string]string{bad: "failed"}, f.names()...)
	for name, text := range map[string]string{"stdout": out, "stderr": errOut} {
		line := lineOf(text, bad)
		if !strings.Contains(line, "failed") || !strings.Contains(line, migrate.ErrUnreachable.Error()) {
			t.Errorf("%s does not give %s's reason: %q", name, bad, line)
		}
		if strings.Contains(text, "hunter2") {
			t.Errorf("%s shows a password:\n%s", name, text)
		}
	}
	if d := durationOf(t, lineOf(out, bad)); d < timeout || d > 3*timeout {
		t.Errorf("%s took %v, want about the connect timeout %v", bad, d, timeout)
	}
	// The summary comes once the migration is over, within the connect
	// timeout (and the others' few milliseconds). The run then closes
	// its pools: the resolver waits up to pgdriver.SessionTimeout for a
	// server to close the sockets pgx closed, and this one never does.
	summary := stdout.first.Sub(start)
	t.Logf("one tenant unreachable: summary after %v, run over after %v", summary.Round(time.Millisecond), elapsed.Round(time.Millisecond))
	if summary > 4*timeout {
		t.Errorf("the summary came after %v, with a connect timeout of %v", summary, timeout)
	}
	if elapsed > summary+pgdriver.SessionTimeout+2*time.Second {
		t.Errorf("the run ended %v after its summary", elapsed-summary)
	}

	// Fail-fast, one at a time: the tenants after it are not started.
	code, out, _ = f.run("--parallel", "1", "--connect-timeout", timeout.String())
	if code != exitFailed {
		t.Fatalf("fail-fast: exit %d, want %d", code, exitFailed)
	}
	wantStatus(t, out, "up to date", map[string]string{bad: "failed", "t004.example": "skipped", "t005.example": "skipped"}, f.names()...)

	// Back: its config now names a real database.
	if _, err := f.store.Apply(context.Background(), put(bad, tenantconfig.DataSource{Name: spare})); err != nil {
		t.Fatal(err)
	}
	f.dbs[bad] = spare
	out = f.must("--connect-timeout", timeout.String())
	wantStatus(t, out, "up to date", map[string]string{bad: "migrated"}, f.names()...)
	_, tenant := wantTables(t)
	if got := pgTables(t, spare); !slices.Equal(got, tenant) {
		t.Errorf("%s: %v, want %v", bad, got, tenant)
	}
}

// stampedWriter is a buffer that notes when it was first written.
type stampedWriter struct {
	bytes.Buffer
	first time.Time
}

func (w *stampedWriter) Write(p []byte) (int, error) {
	if w.first.IsZero() {
		w.first = time.Now()
	}
	return w.Buffer.Write(p)
}

// lineOf returns the first line of text that starts with the database
// name.
func lineOf(text, name string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return ""
}

// durationOf reads the duration of a summary or progress line.
func durationOf(t *testing.T, line string) time.Duration {
	t.Helper()
	for _, f := range strings.Fields(line) {
		if d, err := time.ParseDuration(f); err == nil {
			return d
		}
	}
	t.Fatalf("no duration in %q", line)
	return 0
}

// TestTwoRunnersAtOnce: two runs at once on the same twenty tenants
// both succeed, and each database is migrated exactly once: its ledger
// has one row, and one run reports it migrated, the other up to date.
func TestTwoRunnersAtOnce(t *testing.T) {
	f := newFleet(t, 20)
	var (
		wg    sync.WaitGroup
		codes [2]int
		outs  [2]string
		errs  [2]string
		ready = make(chan struct{})
	)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			codes[i], outs[i], errs[i] = f.run("--parallel", "4")
		}()
	}
	close(ready)
	wg.Wait()
	for i := range 2 {
		if codes[i] != exitOK {
			t.Fatalf("runner %d: exit %d\n%s%s", i, codes[i], outs[i], errs[i])
		}
	}
	a, b := summaryRows(t, outs[0]), summaryRows(t, outs[1])
	for _, name := range f.names() {
		got := []string{a[name], b[name]}
		slices.Sort(got)
		if !slices.Equal(got, []string{"migrated", "up to date"}) {
			t.Errorf("%s: runners report %q", name, got)
		}
	}
	for name, db := range f.dbsWithCentral() {
		if n := query[int](t, db, "SELECT count(*) FROM "+migrate.LedgerTable); len(n) != 1 || n[0] != 1 {
			t.Errorf("%s: %v ledger rows, want 1", name, n)
		}
	}
}

func (f *fleet) dbsWithCentral() map[string]string {
	m := map[string]string{"reserved:default": f.central}
	for id, db := range f.dbs {
		if db != "" {
			m[id] = db
		}
	}
	return m
}

// TestGoose: three goose versions on twenty tenants; one, whose
// database already has a table version 2 creates, fails there, stays at
// version 1 and is reported failed with it; the others reach version 3.
// --check then lists it behind and exits 1.
func TestGoose(t *testing.T) {
	f := newFleet(t, 20)
	const bad = "t007.example"
	exec(t, f.dbs[bad], "CREATE TABLE visits (id BIGINT PRIMARY KEY)")
	dir := filepath.Join("testdata", "goose")

	code, out, errOut := f.run("-goose", dir, "--continue-on-error")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
	}
	wantStatus(t, out, "migrated", map[string]string{bad: "failed"}, f.names()...)
	line := lineOf(out, bad)
	if !strings.Contains(line, "goose version 1 of 3") || !strings.Contains(line, `"visits" already exists`) {
		t.Errorf("%s's row: %q", bad, line)
	}
	version := "SELECT max(version_id) FROM goose_db_version WHERE is_applied"
	for _, id := range f.ids {
		want := int64(3)
		if id == bad {
			want = 1
		}
		if got := query[int64](t, f.dbs[id], version); len(got) != 1 || got[0] != want {
			t.Errorf("%s: goose version %v, want %d", id, got, want)
		}
	}
	central, tenant := wantTables(t)
	tenant = append(tenant, "goose_db_version", "visits", "wards")
	slices.Sort(tenant)
	if got := pgTables(t, f.central); !slices.Equal(got, central) {
		t.Errorf("central database: %v, want %v (goose runs on tenants only)", got, central)
	}
	for _, id := range f.ids {
		if got := pgTables(t, f.dbs[id]); !slices.Equal(got, tenant) {
			t.Errorf("%s: %v, want %v", id, got, tenant)
		}
	}

	code, out, _ = f.run("-goose", dir, "--check")
	if code != exitFailed {
		t.Fatalf("--check: exit %d, want %d\n%s", code, exitFailed, out)
	}
	wantStatus(t, out, "up to date", map[string]string{bad: "behind"}, f.names()...)
	if !strings.Contains(out, "\nbehind: "+bad+"\n") {
		t.Errorf("--check does not list %s behind:\n%s", bad, out)
	}
}

// TestRefusedConfigs: a tenant whose config the command cannot use (a
// driver other than the template's, no database for GORM's default
// alias) is reported failed with the reason. By default nothing is
// migrated then; with --continue-on-error the others are. A service
// with no tenant in the store migrates nothing and exits 1.
func TestRefusedConfigs(t *testing.T) {
	f := newFleet(t, 3)
	noDefault := put("t900.example", tenantconfig.DataSource{Name: f.dbs["t000.example"]})
	noDefault.Config.ORM[tenantconfig.GORM]["replica"] = noDefault.Config.ORM[tenantconfig.GORM][tenantconfig.DefaultAlias]
	delete(noDefault.Config.ORM[tenantconfig.GORM], tenantconfig.DefaultAlias)
	sqliteOne := put("t901.example", tenantconfig.DataSource{Driver: "sqlite", Name: filepath.Join(t.TempDir(), "x.db")})
	if _, err := f.store.Apply(context.Background(), noDefault, sqliteOne); err != nil {
		t.Fatal(err)
	}
	names := append(f.names(), "t900.example", "t901.example")
	refused := map[string]string{"t900.example": "failed", "t901.example": "failed"}

	code, out, errOut := f.run()
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
	}
	wantStatus(t, out, "skipped", refused, names...)
	for id, want := range map[string]string{"t900.example": "config: its config has no orm_config.gorm.default", "t901.example": "config: "} {
		if !strings.Contains(lineOf(out, id), want) {
			t.Errorf("%s: %q, want %q", id, lineOf(out, id), want)
		}
	}
	for _, db := range f.dbsWithCentral() {
		if got := pgTables(t, db); len(got) > 0 {
			t.Fatalf("a run stopped by a refused config created tables in %s: %v", db, got)
		}
	}

	code, out, _ = f.run("--continue-on-error")
	if code != exitFailed {
		t.Fatalf("--continue-on-error: exit %d, want %d", code, exitFailed)
	}
	wantStatus(t, out, "migrated", refused, names...)

	code, _, errOut = f.run("-service", f.service+"-none")
	if code != exitFailed || !strings.Contains(errOut, "holds no tenant") {
		t.Fatalf("empty service: exit %d, stderr %q", code, errOut)
	}
}
