package e2e

import (
	"database/sql"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

// countPatients counts the patients with email in db; a database
// without the table has none.
func countPatients(t *testing.T, db *sql.DB, email string) int {
	t.Helper()
	var table sql.NullString
	if err := db.QueryRow("SELECT to_regclass('patients')::text").Scan(&table); err != nil {
		t.Fatal(err)
	}
	if !table.Valid {
		return 0
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM patients WHERE email = $1", email).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTenantLifecycle: with the server and the worker running, a tenant
// created with tenantctl is served without a restart; a patient posted
// on it is inserted by the worker into its database and no other; once
// removed with tenantctl, it answers 404.
func TestTenantLifecycle(t *testing.T) {
	e := newEnv(t, testenv.RedisURL(t), true)
	db1 := e.create("tenant-1.localhost")
	worker, _ := e.start("worker", e.bins.worker, "msg=working")
	server, addr := e.startServer()

	if body := e.waitStatus(addr, "tenant-1.localhost", "/api/hospitals", http.StatusOK); !strings.Contains(body, "Main hospital") {
		t.Fatalf("tenant-1's hospitals: %q", body)
	}
	if code, body, err := e.do(addr, http.MethodGet, "tenant-3.localhost", "/api/hospitals", ""); err != nil || code != http.StatusNotFound {
		t.Fatalf("tenant-3 before create: %d %q %v", code, body, err)
	}

	db3 := e.create("tenant-3.localhost")
	created := time.Now()
	body := e.waitStatus(addr, "tenant-3.localhost", "/api/hospitals", http.StatusOK)
	t.Logf("tenant-3 served %v after tenantctl create returned", time.Since(created).Round(time.Millisecond))
	if !strings.Contains(body, "Main hospital") {
		t.Fatalf("tenant-3's hospitals: %q", body)
	}
	if page := e.waitStatus(addr, "tenant-3.localhost", "/", http.StatusOK); !strings.Contains(page, "tenant-3.localhost") {
		t.Fatalf("tenant-3's page does not name it:\n%s", testenv.Tail(page, 5))
	}

	const email = "ada@example.com"
	code, body, err := e.do(addr, http.MethodPost, "tenant-3.localhost", "/api/patients", `{"name":"Ada","email":"`+email+`"}`)
	if err != nil || code != http.StatusAccepted {
		t.Fatalf("POST patient: %d %q %v", code, body, err)
	}
	// The worker runs the task: no event reaches the test, so it polls
	// tenant-3's database.
	deadline := time.Now().Add(syncTimeout)
	for countPatients(t, db3, email) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the patient is not in tenant-3's database after %v\nworker:\n%s", syncTimeout, worker.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := countPatients(t, db3, email); n != 1 {
		t.Fatalf("tenant-3 has %d patients %s", n, email)
	}
	central := e.open(e.dbURL)
	for name, db := range map[string]*sql.DB{"tenant-1": db1, "central": central} {
		if n := countPatients(t, db, email); n != 0 {
			t.Fatalf("the patient of tenant-3 is in %s's database too", name)
		}
	}
	if body := e.waitStatus(addr, "tenant-3.localhost", "/api/patients", http.StatusOK); !strings.Contains(body, email) {
		t.Fatalf("tenant-3's patients: %q", body)
	}

	e.tenantctl("remove", "tenant-3.localhost")
	removed := time.Now()
	e.waitStatus(addr, "tenant-3.localhost", "/api/hospitals", http.StatusNotFound)
	t.Logf("tenant-3 refused %v after tenantctl remove returned", time.Since(removed).Round(time.Millisecond))
	for _, path := range []string{"/", "/api/patients", "/api/hospitals"} {
		if code, body, err := e.do(addr, http.MethodGet, "tenant-3.localhost", path, ""); err != nil || code != http.StatusNotFound {
			t.Fatalf("GET %s after remove: %d %q %v", path, code, body, err)
		}
	}
	if code, _, err := e.do(addr, http.MethodGet, "tenant-1.localhost", "/api/hospitals", ""); err != nil || code != http.StatusOK {
		t.Fatalf("tenant-1 after tenant-3's removal: %d %v", code, err)
	}

	server.stop(t)
	worker.stop(t)
}

// TestRedisRestartUnderTraffic: Redis killed and restarted while pages
// are requested: every request succeeds (the pages need Redis for the
// cache only, which falls back to the database), and tenantsync
// catches up afterwards: a tenant created after the restart is served.
func TestRedisRestartUnderTraffic(t *testing.T) {
	testenv.PostgresURL(t) // skips (or fails) before a Redis is started for nothing
	rs := startRedis(t)
	e := newEnv(t, rs.URL(), false) // a Redis of the test's own: nothing to clean
	e.create("tenant-1.localhost")
	server, addr := e.startServer()
	e.waitStatus(addr, "tenant-1.localhost", "/api/hospitals", http.StatusOK)

	var (
		count    atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
	)
	paths := []string{"/", "/api/hospitals", "/api/patients"}
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				path := paths[i%len(paths)]
				code, body, err := e.do(addr, http.MethodGet, "tenant-1.localhost", path, "")
				if err != nil || code != http.StatusOK {
					mu.Lock()
					failures = append(failures, path+": "+http.StatusText(code)+" "+body+" "+errString(err))
					mu.Unlock()
				}
				count.Add(1)
			}
		}()
	}
	// waitRequests waits until n more requests were answered.
	waitRequests := func(n int64, what string) int64 {
		t.Helper()
		from := count.Load()
		deadline := time.Now().Add(syncTimeout)
		for count.Load() < from+n {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("%s: %d requests in %v", what, count.Load()-from, syncTimeout)
			}
			time.Sleep(time.Millisecond)
		}
		return count.Load() - from
	}
	waitRequests(30, "before the restart")
	rs.kill()
	down := waitRequests(60, "while Redis was down")
	rs.restart()
	waitRequests(60, "after the restart")
	close(stop)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed, the first: %s\nserver:\n%s", len(failures), count.Load(), failures[0], server.out)
	}
	t.Logf("%d requests, %d while Redis was down, none failed", count.Load(), down)

	e.create("tenant-2.localhost")
	created := time.Now()
	if body := e.waitStatus(addr, "tenant-2.localhost", "/api/hospitals", http.StatusOK); !strings.Contains(body, "Main hospital") {
		t.Fatalf("tenant-2's hospitals: %q", body)
	}
	t.Logf("tenant-2, created after the restart, served %v after tenantctl create returned", time.Since(created).Round(time.Millisecond))
	server.stop(t)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
