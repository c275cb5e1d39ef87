package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

// TestThreeProcesses: three instances share one Redis; tenantctl adds,
// updates and removes a tenant, and every instance follows.
func TestThreeProcesses(t *testing.T) {
	e := newEnv(t)
	dbs := testenv.Databases(t, 3) // the application's own, A, B
	central, dbA, dbB := dbs[0], dbs[1], dbs[2]
	rs := e.startRedis("")
	insts := e.startInstances(3, e.instanceArgs(rs, e.dsn(central, ""), "-allow-empty"))
	dumpOnFailure(t, rs, insts...)

	const id = "acme.localhost"
	for _, inst := range insts {
		if status, r, err := inst.where(id); err != nil || status != http.StatusNotFound {
			t.Fatalf("%s: before add: %d %+v %v, want 404", inst.name, status, r, err)
		}
	}

	pw := secret("acme")
	e.mustCtl(rs, "add", id, "--dsn", e.dsn(dbA, pw))
	waitAll(t, insts, func(i *instance) error { _, err := i.wait(id, dbA, 5*time.Second); return err })
	if res := e.ctl(rs, "add", id, "--dsn", e.dsn(dbB, pw)); res.code != 1 {
		t.Errorf("adding an existing tenant: want exit status 1\n%v", res)
	}

	if got := e.mustCtl(rs, "list").stdout; got != id+"\n" {
		t.Errorf("tenantctl list = %q, want %q", got, id+"\n")
	}
	show := e.mustCtl(rs, "show", id)
	if strings.Contains(show.stdout+show.stderr, pw) {
		t.Errorf("tenantctl show prints the password:\n%s", show.stdout)
	}
	if !strings.Contains(show.stdout, dbA) || !strings.Contains(show.stdout, id) {
		t.Errorf("tenantctl show does not name the tenant and its database %s:\n%s", dbA, show.stdout)
	}

	e.mustCtl(rs, "update", id, "--dsn", e.dsn(dbB, pw))
	waitAll(t, insts, func(i *instance) error { _, err := i.wait(id, dbB, 5*time.Second); return err })
	for _, inst := range insts {
		if status, r, err := inst.where(id); err != nil || status != http.StatusOK || r.Database != dbB {
			t.Errorf("%s: after update: %d %+v %v, want %s", inst.name, status, r, err, dbB)
		}
	}

	e.mustCtl(rs, "remove", id)
	waitAll(t, insts, func(i *instance) error { _, err := i.wait(id, "", 5*time.Second); return err })
	for _, inst := range insts {
		if status, r, err := inst.where(id); err != nil || status != http.StatusNotFound {
			t.Errorf("%s: after remove: %d %+v %v, want 404", inst.name, status, r, err)
		}
	}
	if got := e.mustCtl(rs, "list").stdout; got != "" {
		t.Errorf("tenantctl list after remove = %q, want nothing", got)
	}
	if res := e.ctl(rs, "remove", id); res.code != 1 {
		t.Errorf("removing an unknown tenant: want exit status 1\n%v", res)
	}
	if res := e.ctl(rs, "frobnicate"); res.code != 2 {
		t.Errorf("unknown command: want exit status 2\n%v", res)
	}
	for _, inst := range insts {
		s := inst.stats()
		if s.Sync.Applied != 3 || s.Sync.Refused != 0 || len(s.Tenants) != 0 {
			t.Errorf("%s: stats %+v, want 3 changes applied, none refused, no tenant", inst.name, s.Sync)
		}
		inst.stop()
	}
}

// TestRedisKilledAndRestarted: Redis dies (SIGKILL) under load, comes
// back with its data, and changes made before the instances can have
// subscribed again reach them all within 2 s, with no failed query for a
// known tenant.
func TestRedisKilledAndRestarted(t *testing.T) {
	testRedisRestart(t, (*redisServer).kill)
}

// TestRedisStoppedAndRestarted is TestRedisKilledAndRestarted with a
// graceful stop (SIGTERM) of Redis.
func TestRedisStoppedAndRestarted(t *testing.T) {
	testRedisRestart(t, (*redisServer).terminate)
}

// recoveryBound is how long after Redis accepts connections again every
// instance must have applied the changes made meanwhile: a bound of
// liveness, well past the 2 s target that BenchmarkRecovery measures,
// so that a test run sharing two cores with other packages' tests does
// not fail on the machine's speed.
const recoveryBound = 10 * time.Second

func testRedisRestart(t *testing.T, stop func(*redisServer)) {
	e := newEnv(t)
	dbs := testenv.Databases(t, 7)
	central, initial, added, moved := dbs[0], dbs[1:5], dbs[5], dbs[6]
	rs := e.startRedis("")
	tenants := make([]string, len(initial))
	for n, db := range initial {
		tenants[n] = fmt.Sprintf("t%d.localhost", n)
		e.mustCtl(rs, "add", tenants[n], "--dsn", e.dsn(db, ""))
	}
	insts := e.startInstances(3, e.instanceArgs(rs, e.dsn(central, ""), "-load", "8"))
	dumpOnFailure(t, rs, insts...)
	waitAll(t, insts, func(i *instance) error {
		for n, id := range tenants {
			if _, err := i.wait(id, initial[n], 5*time.Second); err != nil {
				return err
			}
		}
		return nil
	})
	time.Sleep(200 * time.Millisecond) // load on every tenant

	stop(rs)
	time.Sleep(time.Second)

	// Long polls first, so that each instance reports when it applied the
	// changes, not when it was asked.
	const newID = "new.localhost"
	waits := map[string]<-chan waited{
		"add " + newID:         startWaits(insts, newID, added, 15*time.Second),
		"update " + tenants[1]: startWaits(insts, tenants[1], moved, 15*time.Second),
	}
	time.Sleep(50 * time.Millisecond) // the polls are running
	up := rs.restart()
	e.mustCtl(rs, "add", newID, "--dsn", e.dsn(added, ""))
	e.mustCtl(rs, "update", tenants[1], "--dsn", e.dsn(moved, ""))
	t.Logf("changes made %v after Redis accepted connections again", time.Since(up).Round(time.Millisecond))

	var worst time.Duration
	for what, ch := range waits {
		for range insts {
			w := <-ch
			if w.err != nil {
				t.Errorf("%s: %v", what, w.err)
				continue
			}
			d := w.r.at().Sub(up)
			worst = max(worst, d)
			if d > recoveryBound {
				t.Errorf("%s: %s applied %v after Redis came back, want ≤ %v", w.inst.name, what, d, recoveryBound)
			}
		}
	}
	t.Logf("every change applied by every instance %v after Redis accepted connections again", worst.Round(time.Millisecond))

	time.Sleep(300 * time.Millisecond) // load on the changed tenants
	for _, inst := range insts {
		s := inst.stats()
		t.Logf("%s: load %d ok, %d failed (%d for known tenants); %d resyncs; pools: %+v", inst.name, s.Load.OK, s.Load.Failed, s.Load.FailedKnown, s.Sync.Resyncs, s.Pools)
		if s.Load.FailedKnown != 0 {
			t.Errorf("%s: %d load queries failed for known tenants; last: %s", inst.name, s.Load.FailedKnown, s.Load.LastKnownError)
		}
		if s.Load.OK == 0 {
			t.Errorf("%s: no load query succeeded", inst.name)
		}
		if want := append(slices.Clone(tenants), newID); !slices.Equal(s.Tenants, sorted(want)) {
			t.Errorf("%s: tenants %v, want %v", inst.name, s.Tenants, sorted(want))
		}
		if s.Sync.Resyncs < 2 {
			t.Errorf("%s: %d resyncs, want one after re-subscribing", inst.name, s.Sync.Resyncs)
		}
	}
	for _, inst := range insts {
		inst.stop()
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestSecretsNeverLogged runs a scenario with passwords everywhere (the
// Redis URL, the template DSN, tenant DSNs and fields, a tenant config
// file, refused changes, unreachable and malformed databases, wrong
// Redis passwords) and looks for them in every instance's stderr, every
// tenantctl output and every HTTP reply.
func TestSecretsNeverLogged(t *testing.T) {
	e := newEnv(t)
	dbs := testenv.Databases(t, 5)
	central := dbs[0]
	host, port := e.pgHostPort()
	secrets := map[string]string{}
	pw := func(what string) string {
		s := secret(what)
		secrets[what] = s
		return s
	}
	rs := e.startRedis(pw("redis"))
	template := e.dsn(central, pw("template"))
	args := e.instanceArgs(rs, template, "-load", "2", "-allow-empty")

	// A tenant config file: a DSN with a password, and fields with one.
	file := filepath.Join(t.TempDir(), "tenant_config.json")
	content := fmt.Sprintf(`{
  "mapping_metadata": {"POSTGRES_URL": "orm_config.gorm.default.dsn"},
  "tenant_config": {
    "f1.localhost": {"hospital": {"orm_config": {"gorm": {"default": {"driver": "postgres", "dsn": %q}}}}},
    "f2.localhost": {"hospital": {"orm_config": {"gorm": {"default": {
      "host": %q, "port": %d, "name": %q, "user": "postgres", "password": %q}}}}}
  }
}`, e.dsn(dbs[1], pw("file-dsn")), host, port, dbs[2], pw("file-field"))
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	e.mustCtl(rs, "load", file, "--dry-run")
	e.mustCtl(rs, "load", file)

	insts := e.startInstances(2, args)
	dumpOnFailure(t, rs, insts...)
	waitAll(t, insts, func(i *instance) error {
		if _, err := i.wait("f1.localhost", dbs[1], 5*time.Second); err != nil {
			return err
		}
		_, err := i.wait("f2.localhost", dbs[2], 5*time.Second)
		return err
	})

	e.mustCtl(rs, "add", "a1.localhost", "--dsn", e.dsn(dbs[3], pw("add-dsn")))
	e.mustCtl(rs, "add", "s1.localhost", "--set", "POSTGRES_URL="+e.dsn(dbs[4], pw("add-set")))
	waitAll(t, insts, func(i *instance) error {
		if _, err := i.wait("a1.localhost", dbs[3], 5*time.Second); err != nil {
			return err
		}
		_, err := i.wait("s1.localhost", dbs[4], 5*time.Second)
		return err
	})
	for _, id := range []string{"f1.localhost", "f2.localhost", "a1.localhost", "s1.localhost"} {
		e.mustCtl(rs, "show", id)
	}
	e.mustCtl(rs, "list")

	// Failures, where secrets leak if anywhere. Nothing listens on a
	// port just freed.
	deadPort, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dead := fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/nowhere?sslmode=disable", pw("dead"), deadPort)
	// a1's pool is open: the move to a dead server is refused and logged.
	e.mustCtl(rs, "update", "a1.localhost", "--dsn", dead)
	// b1 is added (no pool yet), on a database of its own on the dead
	// server; its queries fail and are logged.
	deadB := strings.Replace(strings.Replace(dead, "/nowhere?", "/nowhere_b?", 1), secrets["dead"], pw("dead-add"), 1)
	e.mustCtl(rs, "add", "b1.localhost", "--dsn", deadB)
	// A database that does not exist on a live server.
	e.mustCtl(rs, "add", "m1.localhost", "--dsn", e.dsn("no_such_database", pw("missing-db")))
	// DSNs that do not parse: refused by tenantctl, or by the instances.
	for what, dsn := range map[string]string{
		"bad-escape": "postgres://postgres:%s@127.0.0.1:5432/db%%zz",
		"bad-port":   "postgres://postgres:%s@127.0.0.1:99999999/db",
		"bad-kv":     "host=127.0.0.1 password=%s port=notaport",
	} {
		e.ctl(rs, "add", what+".localhost", "--dsn", fmt.Sprintf(dsn, pw(what)))
	}
	e.ctl(rs, "load", filepath.Join(t.TempDir(), "missing.json"))
	badFile := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(badFile, []byte(strings.Replace(content, fmt.Sprintf(`"port": %d`, port), `"port": 70000`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := e.ctl(rs, "load", badFile, "--dry-run"); res.code != 1 {
		t.Errorf("loading a file with a port out of range: want exit status 1\n%v", res)
	}
	e.ctlURL(rs.urlWith(pw("wrong-redis")), "list")
	e.ctlURL(strings.Replace(rs.URL(), "/0", "/x", 1), "list")

	// Wait until both instances refused a1's move and tried b1 and m1.
	deadline := time.Now().Add(5 * time.Second)
	for _, inst := range insts {
		for {
			s := inst.stats()
			if s.Sync.Refused >= 1 && s.Load.FailedKnown >= 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: refused %d changes and failed %d load queries, want ≥ 1 and ≥ 2", inst.name, s.Sync.Refused, s.Load.FailedKnown)
			}
			time.Sleep(20 * time.Millisecond)
		}
		for _, id := range []string{"a1.localhost", "b1.localhost", "m1.localhost", "bad-escape.localhost", "bad-port.localhost", "bad-kv.localhost"} {
			_, _, _ = inst.where(id)
		}
		if status, _, err := inst.where("a1.localhost"); err != nil || status != http.StatusOK {
			t.Errorf("%s: a1 after a refused change: %d %v, want its last good database", inst.name, status, err)
		}
	}

	// Instances that cannot start: wrong Redis password, malformed URLs.
	bad := map[string][]string{
		"wrong Redis password": e.instanceArgs(&redisServer{port: rs.port, password: pw("instance-wrong-redis")}, template),
		"malformed -pg":        e.instanceArgs(rs, fmt.Sprintf("postgres://postgres:%s@127.0.0.1:5432/db%%zz", pw("instance-bad-pg"))),
		"malformed -redis":     append(e.instanceArgs(rs, template), "-redis", fmt.Sprintf("redis://:%s@127.0.0.1:%d/x", pw("instance-bad-redis"), rs.port)),
	}
	for what, args := range bad {
		inst, err := e.launch(args)
		if err == nil {
			t.Errorf("instance with a %s started", what)
			inst.stop()
			continue
		}
		e.record(err.Error())
	}
	for _, inst := range insts {
		inst.stop()
	}

	// Every instance's stderr, including those that failed to start.
	var texts []string
	files, _ := filepath.Glob(filepath.Join(e.dir, "instance-*.stderr"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		texts = append(texts, string(b))
	}
	texts = append(texts, e.recorded()...)
	all := strings.Join(texts, "\n")
	if len(files) < len(insts)+len(bad) {
		t.Errorf("found %d instance logs, want %d", len(files), len(insts)+len(bad))
	}
	for what, s := range secrets {
		if i := strings.Index(all, s); i >= 0 {
			t.Errorf("the %s password appears in the output: ...%s...", what, all[max(0, i-200):min(len(all), i+len(s)+50)])
		}
	}
	if !strings.Contains(all, "tenant change refused") {
		t.Errorf("no instance logged the refused change:\n%s", testenv.Tail(all, 40))
	}
}
