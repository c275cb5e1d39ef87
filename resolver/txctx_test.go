package resolver_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// leakEnv is a resolver with MaxPools 1 over tenants "a" and "b", and a
// *gorm.DB with the plugin over it.
type leakEnv struct {
	backend string
	r       *resolver.Resolver
	db      *gorm.DB
	admin   *sql.DB // PostgreSQL only
	app     string  // PostgreSQL only: application_name of tenant a's connections
}

// newLeakEnv builds a leakEnv on backend; on PostgreSQL the tenants use
// dbs[0] and dbs[1]. Its resolver is closed when the test ends, with a
// deadline: a Close that hangs fails the test instead of the run.
func newLeakEnv(t *testing.T, backend string, dbs []string) *leakEnv {
	t.Helper()
	e := &leakEnv{backend: backend}
	var cfg resolver.Config
	var central string
	tenants := map[string]tenantconfig.Database{}
	switch backend {
	case "sqlite":
		cfg = sqliteConfig()
		dir := t.TempDir()
		central = filepath.Join(dir, "central.db")
		for _, id := range []string{"a", "b"} {
			tenants[id] = tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, id+".db")}}
		}
	case "postgres":
		cfg = resolver.Config{
			Template: resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(t)},
			Drivers:  []dbdriver.Driver{pgdriver.New()},
		}
		central = testenv.PostgresURL(t)
		e.admin = testenv.Admin(t)
		e.app = fmt.Sprintf("leak%d", time.Now().UnixNano())
		for i, id := range []string{"a", "b"} {
			tenants[id] = tenantconfig.Database{DataSource: tenantconfig.DataSource{
				Name: dbs[i], Params: map[string]string{"application_name": e.app + id},
			}}
		}
	}
	cfg.MaxPools = 1
	cfg.Logger = fixture.Quiet()
	r, err := resolver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.r = r
	t.Cleanup(func() { closeWithin(t, r, 10*time.Second) })
	for id, tc := range tenants {
		if err := r.Set(context.Background(), id, tc); err != nil {
			t.Fatal(err)
		}
	}
	e.db = gormWith(t, backend, central, r)
	return e
}

// closeWithin closes r and fails the test when Close does not return
// within d.
func closeWithin(t *testing.T, r *resolver.Resolver, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.Close() }()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, resolver.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(d):
		t.Errorf("Close did not return within %v: %+v", d, r.Stats())
	}
}

// serve runs h on a test server and sends it one request; it returns
// once the server answered or dropped the connection.
func serve(t *testing.T, h http.HandlerFunc) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the recovered panics
	srv.Start()
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
}

// tenantA returns the request's context, naming tenant a.
func tenantA(r *http.Request) context.Context { return tenant.NewContext(r.Context(), "a") }

// The ways an application leaves tenant a a transaction that nobody ends,
// except its context.
var leaks = []struct {
	name string
	leak func(t *testing.T, e *leakEnv)
}{
	{"Begin then cancel", func(t *testing.T, e *leakEnv) {
		ctx, cancel := context.WithCancel(tctx("a"))
		tx := e.db.WithContext(ctx).Begin()
		if tx.Error != nil {
			t.Fatal(tx.Error)
		}
		if err := tx.Exec("SELECT 1").Error; err != nil {
			t.Fatal(err)
		}
		cancel()
	}},
	{"pool BeginTx then cancel", func(t *testing.T, e *leakEnv) {
		ctx, cancel := context.WithCancel(tctx("a"))
		pool, err := e.r.ConnPool(ctx, "a", tenantplugin.AccessWrite)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.(gorm.ConnPoolBeginner).BeginTx(ctx, nil); err != nil {
			t.Fatal(err)
		}
		cancel()
	}},
	{"handler returns without Rollback", func(t *testing.T, e *leakEnv) {
		serve(t, func(w http.ResponseWriter, r *http.Request) {
			tx := e.db.WithContext(tenantA(r)).Begin()
			if tx.Error == nil && tx.Exec("SELECT 1").Error == nil {
				// An error path that forgets tx.Rollback().
				http.Error(w, "failed", http.StatusInternalServerError)
				return
			}
			t.Error("transaction did not begin")
		})
	}},
	{"panic in Transaction", func(t *testing.T, e *leakEnv) {
		serve(t, func(w http.ResponseWriter, r *http.Request) {
			_ = e.db.WithContext(tenantA(r)).Transaction(func(tx *gorm.DB) error {
				if err := tx.Exec("SELECT 1").Error; err != nil {
					t.Error(err)
				}
				panic("boom")
			})
		})
	}},
	{"panic after Begin", func(t *testing.T, e *leakEnv) {
		serve(t, func(w http.ResponseWriter, r *http.Request) {
			tx := e.db.WithContext(tenantA(r)).Begin()
			if err := tx.Exec("SELECT 1").Error; err != nil {
				t.Error(err)
			}
			panic("boom")
		})
	}},
}

// What a leaked transaction must not block once its context ended.
var leakChecks = []struct {
	name  string
	check func(t *testing.T, e *leakEnv)
}{
	{"other tenant gets the pool slot", func(t *testing.T, e *leakEnv) {
		ctx, cancel := context.WithTimeout(tctx("b"), 3*time.Second)
		defer cancel()
		if err := e.db.WithContext(ctx).Exec("SELECT 1").Error; err != nil {
			t.Fatalf("tenant b with MaxPools 1: %v", err)
		}
	}},
	{"Remove closes the pool", func(t *testing.T, e *leakEnv) {
		before := e.r.Stats().Closed
		if err := e.r.Remove(context.Background(), "a"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "tenant a's pool to close", func() bool { return e.r.Stats().Closed > before })
		if e.admin != nil {
			waitFor(t, 5*time.Second, "tenant a's server connections to end", func() bool {
				return serverConns(t, e.admin, e.app+"a") == 0
			})
		}
	}},
	{"Close returns", func(t *testing.T, e *leakEnv) {
		closeWithin(t, e.r, 5*time.Second)
	}},
}

// TestTxLeaseEndsWithContext leaves a tenant transaction that is never
// committed nor rolled back, ends its context as database/sql and
// net/http do, and checks that its pool is let go: another tenant gets
// the only pool slot, Remove closes the pool, Close returns.
func TestTxLeaseEndsWithContext(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			var dbs []string
			if backend == "postgres" {
				dbs = testenv.Databases(t, 2)
			}
			for _, l := range leaks {
				for _, c := range leakChecks {
					t.Run(l.name+"/"+c.name, func(t *testing.T) {
						e := newLeakEnv(t, backend, dbs)
						l.leak(t, e)
						c.check(t, e)
					})
				}
			}
		})
	}
}

// TestTxLeaseReleasedOnce races Commit and Rollback with the end of the
// transaction's context: whichever comes first, the lease is released
// exactly once, and when Commit or Rollback returns it is released.
func TestTxLeaseReleasedOnce(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			var dbs []string
			n := 400
			if backend == "postgres" {
				dbs = testenv.Databases(t, 2)
				n = 150
			}
			e := newLeakEnv(t, backend, dbs)
			pool, err := e.r.ConnPool(context.Background(), "a", tenantplugin.AccessWrite)
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				ctx, cancel := context.WithCancel(tctx("a"))
				c, err := pool.(gorm.ConnPoolBeginner).BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				tx := c.(gorm.TxCommitter)
				if got := resolver.LeaseCount(pool); got != 1 {
					t.Fatalf("iteration %d: %d leases with one transaction open", i, got)
				}
				var wg sync.WaitGroup
				wg.Add(2)
				go func() { defer wg.Done(); cancel() }()
				go func() {
					defer wg.Done()
					if i%2 == 0 {
						_ = tx.Commit()
					} else {
						_ = tx.Rollback()
					}
				}()
				wg.Wait()
				if got := resolver.LeaseCount(pool); got != 0 {
					t.Fatalf("iteration %d: %d leases after the transaction ended", i, got)
				}
			}
			if st := e.r.Stats(); st.Opened != 1 {
				t.Fatalf("tenant pool opened %d times: a lease count went wrong", st.Opened)
			}
			// The pool still works.
			if _, err := pool.ExecContext(tctx("a"), "SELECT 1"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// waitFor polls cond until it holds, failing the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// serverConns counts the server's connections with application_name app.
func serverConns(t *testing.T, admin *sql.DB, app string) int {
	t.Helper()
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// flakyDriver's connections refuse BEGIN with driver.ErrBadConn while
// fails is positive, counting it down.
type flakyDriver struct {
	dbdriver.Driver
	fails *atomic.Int32
}

func (d flakyDriver) Connector(tmpl string, c tenantconfig.DataSource) (driver.Connector, error) {
	conn, err := d.Driver.Connector(tmpl, c)
	return flakyConnector{conn, d.fails}, err
}

type flakyConnector struct {
	driver.Connector
	fails *atomic.Int32
}

func (c flakyConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	return flakyConn{conn, c.fails}, err
}

type flakyConn struct {
	driver.Conn
	fails *atomic.Int32
}

func (c flakyConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.fails.Add(-1) >= 0 {
		return nil, driver.ErrBadConn
	}
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

// TestBeginRetriesBadConn: a transaction begins on another connection
// when the driver reports a bad one, as database/sql's BeginTx does, and
// gives up after two retries with the lease released.
func TestBeginRetriesBadConn(t *testing.T) {
	fails := new(atomic.Int32)
	cfg := sqliteConfig()
	cfg.Drivers = []dbdriver.Driver{flakyDriver{sqlitedriver.New(), fails}}
	r := newResolver(t, cfg)
	if err := r.Set(context.Background(), "a", file(t, "a.db")); err != nil {
		t.Fatal(err)
	}
	pool, err := r.ConnPool(context.Background(), "a", tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	begin := pool.(gorm.ConnPoolBeginner)

	fails.Store(2)
	c, err := begin.BeginTx(tctx("a"), nil)
	if err != nil {
		t.Fatalf("BEGIN failing twice: %v", err)
	}
	if err := c.(gorm.TxCommitter).Commit(); err != nil {
		t.Fatal(err)
	}

	fails.Store(3)
	if _, err := begin.BeginTx(tctx("a"), nil); !errors.Is(err, driver.ErrBadConn) {
		t.Fatalf("BEGIN failing three times: err = %v, want driver.ErrBadConn", err)
	}
	if n := resolver.LeaseCount(pool); n != 0 {
		t.Fatalf("%d leases after a failed BEGIN", n)
	}
}
