package resolver_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
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
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// pgPort returns the test server's port.
func pgPort(t *testing.T) int {
	t.Helper()
	u, err := url.Parse(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// silentServer listens on a free port, accepts connections and never
// answers: a database behind a firewall that drops, or a port that
// belongs to something else. accepted receives one value per
// connection. It stops when the test ends.
func silentServer(t *testing.T) (port int, accepted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{}, 64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
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
			ch <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().(*net.TCPAddr).Port, ch
}

// gatedProxy forwards connections to the test server once gate is
// closed. accepted receives one value per connection.
func gatedProxy(t *testing.T, gate <-chan struct{}) (port int, accepted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := net.JoinHostPort("127.0.0.1", strconv.Itoa(pgPort(t)))
	ch := make(chan struct{}, 64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ch <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				<-gate
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				done := make(chan struct{})
				go func() {
					_, _ = io.Copy(s, c)
					if tc, ok := s.(*net.TCPConn); ok {
						_ = tc.CloseWrite()
					}
					close(done)
				}()
				_, _ = io.Copy(c, s)
				_ = c.Close()
				<-done
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().(*net.TCPAddr).Port, ch
}

func pgConfig(t *testing.T) resolver.Config {
	return resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(t)},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
		Logger:   fixture.Quiet(),
	}
}

// TestRedteam3ClosedPortDoesNotBlockOthers: a tenant whose server's port
// is closed fails fast and leaves the shared budget to the others.
func TestRedteam3ClosedPortDoesNotBlockOthers(t *testing.T) {
	dbs := testenv.Databases(t, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close() // nothing listens there now
	cfg := pgConfig(t)
	cfg.MaxConns = 1
	r := newResolver(t, cfg)
	ctx := context.Background()
	if err := r.Set(ctx, "bad", tenantconfig.Database{DataSource: tenantconfig.DataSource{Port: port, Name: "nowhere"}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Set(ctx, "good", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[0]}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var badErrs atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				bctx, cancel := context.WithTimeout(tctx("bad"), 5*time.Second)
				if c, err := r.ConnPool(bctx, "bad", tenantplugin.AccessWrite); err == nil {
					if _, err := c.ExecContext(bctx, "SELECT 1"); err != nil {
						badErrs.Add(1)
					}
				}
				cancel()
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	for i := range 20 {
		gctx, cancel := context.WithTimeout(tctx("good"), 2*time.Second)
		c, err := r.ConnPool(gctx, "good", tenantplugin.AccessWrite)
		if err == nil {
			_, err = c.ExecContext(gctx, "SELECT 1")
		}
		cancel()
		if err != nil {
			t.Fatalf("healthy tenant's query %d failed while another tenant's port is closed: %v", i, err)
		}
	}
	if badErrs.Load() == 0 {
		t.Error("the closed port's tenant never failed: the test did not exercise it")
	}
}

// TestRedteam3RemoveDuringSwapKeepsReplicaCount: a Set that adds a read
// replica to a tenant whose pool is open pings the new databases; a
// Remove of the tenant meanwhile must leave HasReplicas true only if a
// registered tenant has replicas once both returned.
func TestRedteam3RemoveDuringSwapKeepsReplicaCount(t *testing.T) {
	dbs := testenv.Databases(t, 1)
	gate := make(chan struct{})
	var gateOnce sync.Once
	open := func() { gateOnce.Do(func() { close(gate) }) }
	t.Cleanup(open)
	proxy, accepted := gatedProxy(t, gate)
	r := newResolver(t, pgConfig(t))
	ctx := context.Background()
	if err := r.Set(ctx, "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[0]}, Version: 1}); err != nil {
		t.Fatal(err)
	}
	c, err := r.ConnPool(tctx("acme"), "acme", tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(tctx("acme"), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	withReplica := tenantconfig.Database{
		DataSource: tenantconfig.DataSource{Name: dbs[0]},
		Replicas:   []tenantconfig.DataSource{{Port: proxy, Name: dbs[0]}},
		Version:    2,
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	setDone := make(chan error, 1)
	go func() { setDone <- r.Set(wctx, "acme", withReplica) }()
	select {
	case <-accepted: // Set pings the replica, behind the gate
	case <-wctx.Done():
		t.Fatal("Set never pinged the replica")
	}
	removeDone := make(chan error, 1)
	go func() { removeDone <- r.Remove(wctx, "acme") }()
	for r.Has("acme") {
		select {
		case <-wctx.Done():
			t.Fatal("Remove never unregistered the tenant")
		case <-time.After(time.Millisecond):
		}
	}
	open()
	for _, ch := range []chan error{setDone, removeDone} {
		select {
		case err := <-ch:
			if err != nil {
				t.Logf("Set or Remove: %v", err)
			}
		case <-wctx.Done():
			t.Fatal("Set or Remove did not return")
		}
	}
	// Set may have started again after the Remove and registered the
	// tenant anew (the two ran at once: either order is right). Either
	// way, HasReplicas says whether a registered tenant has replicas.
	want := false
	for _, id := range r.Tenants() {
		if d, _ := r.Database(id); len(d.Replicas) > 0 {
			want = true
		}
	}
	if got := r.HasReplicas(); got != want {
		t.Errorf("HasReplicas() = %v, want %v (tenants %v): the replica count leaked", got, want, r.Tenants())
	}
}

// TestRedteam3EvictionChurnFailsEarly: more tenants than MaxPools, each
// worker's request with a long deadline. A request may wait for a pool
// slot up to its deadline; it must not fail early because its pool was
// evicted between opening and leasing.
func TestRedteam3EvictionChurnFailsEarly(t *testing.T) {
	cfg := sqliteConfig()
	cfg.MaxPools = 1
	cfg.Logger = fixture.Quiet()
	r := newResolver(t, cfg)
	const tenants, workers, queries = 4, 8, 100
	for i := range tenants {
		if err := r.Set(context.Background(), fmt.Sprintf("t%d", i), file(t, fmt.Sprintf("t%d.db", i))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var failed atomic.Int64
	var first atomic.Value
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := range queries {
				id := fmt.Sprintf("t%d", (w+q)%tenants)
				ctx, cancel := context.WithTimeout(tctx(id), 20*time.Second)
				c, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
				if err == nil {
					_, err = c.ExecContext(ctx, "SELECT 1")
				}
				cancel()
				if err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		err, _ := first.Load().(error)
		t.Errorf("%d of %d queries failed long before their deadline; first: %v (pools exhausted: %v)",
			n, workers*queries, err, errors.Is(err, resolver.ErrPoolsExhausted))
	}
}

// TestRedteam3SetHoldsRequestsPastTheirDeadline: a Set that changes an
// idle tenant's config to a server slow to answer pings it under the
// tenant's open lock. The old pool, idle, is closed meanwhile (idle
// timeout); a request for the tenant then waits for that lock, past its
// own deadline, until Set's ping gives up.
func TestRedteam3SetHoldsRequestsPastTheirDeadline(t *testing.T) {
	dbs := testenv.Databases(t, 1)
	port, accepted := silentServer(t)
	cfg := pgConfig(t)
	cfg.IdleTimeout = 50 * time.Millisecond
	r := newResolver(t, cfg)
	ctx := context.Background()
	if err := r.Set(ctx, "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[0]}, Version: 1}); err != nil {
		t.Fatal(err)
	}
	c, err := r.ConnPool(tctx("acme"), "acme", tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(tctx("acme"), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	const setTimeout = 6 * time.Second
	setCtx, cancelSet := context.WithTimeout(ctx, setTimeout)
	defer cancelSet()
	setDone := make(chan error, 1)
	go func() {
		setDone <- r.Set(setCtx, "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Port: port, Name: "slow"}, Version: 2})
	}()
	t.Cleanup(func() {
		cancelSet()
		if err := <-setDone; err != nil {
			t.Logf("Set to the silent server: %v", err)
		}
	})
	select {
	case <-accepted:
	case <-setCtx.Done():
		t.Fatal("Set never dialled the new server")
	}
	for r.Stats().Evicted == 0 {
		select {
		case <-setCtx.Done():
			t.Fatal("the old pool was never closed for being idle")
		case <-time.After(5 * time.Millisecond):
		}
	}
	const deadline = time.Second
	rctx, cancel := context.WithTimeout(tctx("acme"), deadline)
	defer cancel()
	start := time.Now()
	c, err = r.ConnPool(rctx, "acme", tenantplugin.AccessWrite)
	if err == nil {
		_, err = c.ExecContext(rctx, "SELECT 1")
	}
	if took := time.Since(start); took > deadline+500*time.Millisecond {
		t.Errorf("a request with a %v deadline returned after %v (err %v): it waited for a Set on its tenant",
			deadline, took.Round(time.Millisecond), err)
	}
}

// TestRedteam3TerminatedBackendMidTransaction: the server kills a
// transaction's backend. Commit fails, the lease is released, the pool
// serves the next request on a new connection, and Remove and Close
// leave no session behind.
func TestRedteam3TerminatedBackendMidTransaction(t *testing.T) {
	admin := testenv.Admin(t)
	dbs := testenv.Databases(t, 1)
	cfg := pgConfig(t)
	cfg.MaxConns = 2
	r, err := resolver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tctx("acme"), 10*time.Second)
	defer cancel()
	if err := r.Set(ctx, "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[0]}}); err != nil {
		t.Fatal(err)
	}
	c, err := r.ConnPool(ctx, "acme", tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // twice: the budget of 2 must come back each time
		txp, err := c.(interface {
			BeginTx(context.Context, *sql.TxOptions) (gorm.ConnPool, error)
		}).BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		tx := txp.(interface {
			gorm.ConnPool
			Commit() error
		})
		var pid int
		if err := tx.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.ExecContext(ctx, "SELECT pg_terminate_backend($1, 5000)", pid); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "SELECT 1"); err == nil {
			t.Fatal("a statement on a terminated backend succeeded")
		}
		if err := tx.Commit(); err == nil {
			t.Fatal("Commit on a terminated backend succeeded")
		}
		if n := resolver.LeaseCount(c); n != 0 {
			t.Fatalf("%d leases held after the failed Commit", n)
		}
		if _, err := c.ExecContext(ctx, "SELECT 1"); err != nil {
			t.Fatalf("the pool did not serve after its transaction's backend was killed: %v", err)
		}
	}
	if err := r.Remove(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	closeWithin(t, r, 5*time.Second)
	if n, err := backends(admin, dbs)(); err != nil || n != 0 {
		t.Errorf("%d sessions left on the tenant's database after Close (err %v)", n, err)
	}
}

// TestRedteam3CloseDuringStorm: Set (swaps), Remove, Lease, statements
// and transactions on every tenant while two Close calls run at once.
// Everything returns, with errors the API names, and nothing panics.
func TestRedteam3CloseDuringStorm(t *testing.T) {
	cfg := sqliteConfig()
	cfg.MaxPools = 2
	cfg.MaxConns = 3
	cfg.Logger = fixture.Quiet()
	r, err := resolver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const tenants = 4
	files := make([][2]tenantconfig.Database, tenants)
	for i := range files {
		for j := range 2 {
			files[i][j] = file(t, fmt.Sprintf("t%d-%d.db", i, j))
		}
		if err := r.Set(context.Background(), fmt.Sprintf("t%d", i), files[i][0]); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var ops atomic.Int64
	const warmOps = 2000
	warm := make(chan struct{}) // closed after warmOps operations
	unexpected := make(chan error, 64)
	report := func(err error) {
		if err == nil || errors.Is(err, resolver.ErrClosed) || errors.Is(err, context.DeadlineExceeded) ||
			errors.Is(err, resolver.ErrPoolsExhausted) || errors.Is(err, resolver.ErrConnBudget) {
			return
		}
		select {
		case unexpected <- err:
		default:
		}
	}
	for w := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				i := (w + n) % tenants
				id := fmt.Sprintf("t%d", i)
				ctx, cancel := context.WithTimeout(tctx(id), 3*time.Second)
				switch (w + n) % 5 {
				case 0:
					err := r.Set(ctx, id, files[i][n%2])
					report(err)
				case 1:
					if err := r.Remove(ctx, id); err == nil {
						report(r.Set(ctx, id, files[i][0]))
					}
				case 2:
					l, err := r.Lease(ctx, id)
					if err == nil {
						_, err = l.DB().ExecContext(ctx, "SELECT 1")
						l.Release()
						if err != nil && err.Error() == "sql: database is closed" {
							err = nil // the lease ended with Close
						}
					}
					if err != nil && !isUnknown(err) {
						report(err)
					}
				case 3:
					c, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
					if err == nil {
						_, err = c.ExecContext(ctx, "SELECT 1")
					}
					if err != nil && !isUnknown(err) {
						report(err)
					}
				case 4:
					c, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
					if err == nil {
						var tx gorm.ConnPool
						tx, err = c.(interface {
							BeginTx(context.Context, *sql.TxOptions) (gorm.ConnPool, error)
						}).BeginTx(ctx, nil)
						if err == nil {
							_, err = tx.ExecContext(ctx, "SELECT 1")
							if cerr := tx.(interface{ Commit() error }).Commit(); err == nil {
								err = cerr
							}
						}
					}
					if err != nil && !isUnknown(err) {
						report(err)
					}
				}
				cancel()
				if ops.Add(1) == warmOps {
					close(warm)
				}
			}
		}()
	}
	select {
	case <-warm:
	case <-time.After(20 * time.Second):
		t.Fatalf("only %d operations in 20s", ops.Load())
	}
	closed := make(chan error, 2)
	go func() { closed <- r.Close() }()
	go func() { closed <- r.Close() }()
	timeout := time.After(10 * time.Second)
	for range 2 {
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("Close: %v", err)
			}
		case <-timeout:
			t.Fatalf("Close did not return during the storm: %+v", r.Stats())
		}
	}
	close(stop)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("workers did not return after Close")
	}
	// The first Close may still be finishing when the second returned.
	closeWithin(t, r, 10*time.Second)
	close(unexpected)
	for err := range unexpected {
		t.Errorf("unexpected error: %v", err)
	}
	t.Logf("%d operations", ops.Load())
}

func isUnknown(err error) bool { return errors.Is(err, tenant.ErrUnknown) }

// TestRedteam3SwapPoolEvictedWhilePinged: Set builds a tenant's new
// pool and pings it with no lease on it. Under MaxPools pressure,
// another tenant's opener picks that idle-looking pool as its victim and
// closes it under the ping. database/sql lets the ping's connection
// through on the closed *sql.DB, so Set reports the pool swapped, but
// the pool it verified is already closed: the next request opens
// another one. A pool being pinged is in use and must not be evicted.
func TestRedteam3SwapPoolEvictedWhilePinged(t *testing.T) {
	dbs := testenv.Databases(t, 3)
	gate := make(chan struct{})
	var gateOnce sync.Once
	open := func() { gateOnce.Do(func() { close(gate) }) }
	t.Cleanup(open)
	proxy, accepted := gatedProxy(t, gate)
	cfg := pgConfig(t)
	cfg.MaxPools = 3
	r := newResolver(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for i, id := range []string{"a", "b", "c"} {
		if err := r.Set(ctx, id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[i]}, Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"a", "b"} { // both pools busy
		l, err := r.Lease(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release()
	}
	setDone := make(chan error, 1)
	go func() {
		setDone <- r.Set(ctx, "b", tenantconfig.Database{DataSource: tenantconfig.DataSource{Port: proxy, Name: dbs[1]}, Version: 2})
	}()
	select {
	case <-accepted: // b's new pool is open and being pinged
	case <-ctx.Done():
		t.Fatal("Set never pinged the new database")
	}
	cctx, ccancel := context.WithTimeout(tctx("c"), 500*time.Millisecond)
	if c, err := r.ConnPool(cctx, "c", tenantplugin.AccessWrite); err == nil {
		_, _ = c.ExecContext(cctx, "SELECT 1")
	}
	ccancel()
	open()
	select {
	case err := <-setDone:
		if err != nil {
			t.Errorf("Set to a database that answers failed: %v (stats %+v)", err, r.Stats())
		}
		if st := r.Stats(); st.Evicted != 0 {
			t.Errorf("the pool Set was pinging was evicted under it (Set returned %v): %+v", err, st)
		}
	case <-ctx.Done():
		t.Fatal("Set did not return")
	}
}

// TestRedteam3RemoveWaitsForSetPing: Remove waits for the tenant's open
// lock, which a Set holds while it pings a server slow to answer: Remove
// returns when Set's context ends, whatever Remove's own.
func TestRedteam3RemoveWaitsForSetPing(t *testing.T) {
	dbs := testenv.Databases(t, 1)
	port, accepted := silentServer(t)
	r := newResolver(t, pgConfig(t))
	ctx := context.Background()
	if err := r.Set(ctx, "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[0]}, Version: 1}); err != nil {
		t.Fatal(err)
	}
	c, err := r.ConnPool(tctx("acme"), "acme", tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(tctx("acme"), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	setCtx, cancelSet := context.WithTimeout(ctx, 6*time.Second)
	defer cancelSet()
	setDone := make(chan error, 1)
	go func() {
		setDone <- r.Set(setCtx, "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Port: port, Name: "slow"}, Version: 2})
	}()
	t.Cleanup(func() {
		cancelSet()
		if err := <-setDone; err != nil {
			t.Logf("Set to the silent server: %v", err)
		}
	})
	select {
	case <-accepted:
	case <-setCtx.Done():
		t.Fatal("Set never dialled the new server")
	}
	const deadline = 500 * time.Millisecond
	rctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	start := time.Now()
	err = r.Remove(rctx, "acme")
	if took := time.Since(start); took > deadline+500*time.Millisecond {
		t.Errorf("Remove with a %v deadline returned after %v (err %v): it waited for a Set's ping",
			deadline, took.Round(time.Millisecond), err)
	}
}

// TestRedteam3OddConfigsNeverPanic: Set with odd configs returns an
// error or registers the tenant; nothing panics, and a request for a
// tenant registered with one fails or succeeds within its deadline.
func TestRedteam3OddConfigsNeverPanic(t *testing.T) {
	r := newResolver(t, pgConfig(t))
	odd := []tenantconfig.DataSource{
		{DSN: "postgres://%zz"},
		{DSN: "host=\x00 dbname=x"},
		{Host: "bad\x00host", Name: "x"},
		{Port: -1, Name: "x"},
		{Port: 70000, Name: "x"},
		{Name: "x", Params: map[string]string{"": "v"}},
		{Name: "x", Params: map[string]string{"connect_timeout": "-5"}},
		{Name: "x", Params: map[string]string{"pool_max_conns": "0"}},
		{Name: "x", Params: map[string]string{"default_query_exec_mode": "nonsense"}},
		{Name: "x", Params: map[string]string{"target_session_attrs": "nonsense"}},
		{Name: string(make([]byte, 1<<16))},
		{Name: "x", User: "u\x00"},
		{Driver: "sqlite", Name: "x"},
		{Name: "x", Host: "[::1"},
	}
	registered := 0
	defer func() { t.Logf("%d of %d odd configs registered", registered, 2*len(odd)) }()
	for i, ds := range odd {
		id := fmt.Sprintf("odd%d", i)
		for _, db := range []tenantconfig.Database{
			{DataSource: ds},
			{DataSource: tenantconfig.DataSource{Name: "fine"}, Replicas: []tenantconfig.DataSource{ds}},
		} {
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Errorf("Set %q with %+v panicked: %v", id, db, p)
					}
				}()
				if err := r.Set(context.Background(), id, db); err != nil {
					return
				}
				registered++
				ctx, cancel := context.WithTimeout(tctx(id), 2*time.Second)
				defer cancel()
				start := time.Now()
				if c, err := r.ConnPool(ctx, id, tenantplugin.AccessRead); err == nil {
					_, _ = c.ExecContext(ctx, "SELECT 1")
				}
				if took := time.Since(start); took > 3*time.Second {
					t.Errorf("a request for %q (%+v) took %v, deadline 2s", id, db, took)
				}
				_ = r.Remove(context.Background(), id)
			}()
		}
	}
}

// TestRedteam3RowsLeftOpenAcrossRemoveAndClose: Rows hold their own
// connection, not a lease: Remove and Close return while the caller
// still reads them, the rows stay readable, and the session ends once
// they are closed.
func TestRedteam3RowsLeftOpenAcrossRemoveAndClose(t *testing.T) {
	admin := testenv.Admin(t)
	dbs := testenv.Databases(t, 1)
	r, err := resolver.New(pgConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tctx("acme"), 10*time.Second)
	defer cancel()
	if err := r.Set(ctx, "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[0]}}); err != nil {
		t.Fatal(err)
	}
	c, err := r.ConnPool(ctx, "acme", tenantplugin.AccessRead)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := c.QueryContext(ctx, "SELECT generate_series(1, 3)")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if n := resolver.LeaseCount(c); n != 0 {
		t.Errorf("open Rows hold %d leases", n)
	}
	if err := r.Remove(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	closeWithin(t, r, 5*time.Second)
	got := 0
	for rows.Next() {
		got++
	}
	if err := rows.Err(); err != nil || got != 3 {
		t.Errorf("rows after Close: %d rows, err %v", got, err)
	}
	_ = rows.Close()
	count := backends(admin, dbs)
	for {
		n, err := count()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d sessions left after the rows were closed", n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
