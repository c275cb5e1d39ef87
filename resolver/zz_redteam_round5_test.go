package resolver_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestRedTeam5HeldSetToSilentServerKeepsDeadline: a serving tenant is
// Set to a server that accepts and never answers. The Set's ping gives
// up at its own deadline, the tenant keeps its old pool, and another
// tenant's requests are served while the Set hangs.
func TestRedTeam5HeldSetToSilentServerKeepsDeadline(t *testing.T) {
	dbs := testenv.Databases(t, 2)
	port, accepted := silentServer(t)
	cfg := pgConfig(t)
	cfg.MaxConns = 4
	r := newResolver(t, cfg)
	ctx := context.Background()
	for i, id := range []string{"a", "b"} {
		if err := r.Set(ctx, id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[i]}}); err != nil {
			t.Fatal(err)
		}
		c, err := r.ConnPool(tctx(id), id, tenantplugin.AccessWrite)
		if err == nil {
			_, err = c.ExecContext(tctx(id), "SELECT 1")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	const deadline = 1500 * time.Millisecond
	setErr := make(chan error, 1)
	start := time.Now()
	go func() {
		sctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		setErr <- r.Set(sctx, "a", tenantconfig.Database{DataSource: tenantconfig.DataSource{Port: port, Name: "nowhere"}})
	}()
	select {
	case <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("the Set never dialled the silent server")
	}
	// While the Set hangs: the other tenant, and the tenant's old pool.
	for _, id := range []string{"b", "a"} {
		qctx, cancel := context.WithTimeout(tctx(id), time.Second)
		c, err := r.ConnPool(qctx, id, tenantplugin.AccessWrite)
		if err == nil {
			_, err = c.ExecContext(qctx, "SELECT 1")
		}
		cancel()
		if err != nil {
			t.Errorf("tenant %s while a Set hangs on a silent server: %v", id, err)
		}
	}
	err := <-setErr
	took := time.Since(start)
	if err == nil {
		t.Fatal("Set to a silent server succeeded")
	}
	if took > deadline+time.Second {
		t.Errorf("Set to a silent server returned after %v, deadline %v", took, deadline)
	}
	if db, _ := r.Database("a"); db.DataSource.Name != dbs[0] {
		t.Errorf("tenant a's config after a failed Set: %+v", db.DataSource)
	}
}

// TestRedTeam5HeldCancelStormStaysInBudget: many workers over several
// tenants run statements and transactions whose contexts are cancelled
// at random moments (before routing, while waiting for the budget,
// mid-query, mid-Rows, between Begin and the first statement, during
// Commit). The server never holds more sessions on the tenants'
// databases than MaxConns, no lease or slot is left behind, and the
// budget is whole afterwards (a final query per tenant runs at once).
func TestRedTeam5HeldCancelStormStaysInBudget(t *testing.T) {
	const tenants, maxConns, workers = 4, 3, 12
	admin := testenv.Admin(t)
	dbs := testenv.Databases(t, tenants)
	cfg := pgConfig(t)
	cfg.MaxConns = maxConns
	cfg.MaxPools = 2
	r := newResolver(t, cfg)
	ids := make([]string, tenants)
	for i := range ids {
		ids[i] = string(rune('a' + i))
		if err := r.Set(context.Background(), ids[i], tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[i]}}); err != nil {
			t.Fatal(err)
		}
	}
	count := backends(admin, dbs)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 5))
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := ids[rng.IntN(tenants)]
				ctx, cancel := context.WithTimeout(tctx(id), time.Duration(rng.IntN(40))*time.Millisecond)
				stormOnce(ctx, r, id, rng.IntN(4))
				cancel()
			}
		}()
	}
	most := 0
	end := time.After(4 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
loop:
	for {
		select {
		case <-end:
			break loop
		case <-tick.C:
			n, err := count()
			if err != nil {
				t.Fatal(err)
			}
			most = max(most, n)
		}
	}
	tick.Stop()
	close(stop)
	wg.Wait()
	if most > maxConns {
		t.Errorf("the server held %d sessions on the tenants' databases, MaxConns %d", most, maxConns)
	}
	for _, id := range ids {
		ctx, cancel := context.WithTimeout(tctx(id), 3*time.Second)
		c, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
		if err == nil {
			_, err = c.ExecContext(ctx, "SELECT 1")
		}
		cancel()
		if err != nil {
			t.Errorf("tenant %s after the storm: %v (stats %+v)", id, err, r.Stats())
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.ConnsInUse != 0 {
		t.Errorf("after Close: %d connections still counted", st.ConnsInUse)
	}
}

// stormOnce runs one kind of work on id under ctx, ignoring its errors.
func stormOnce(ctx context.Context, r *resolver.Resolver, id string, kind int) {
	c, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
	if err != nil {
		return
	}
	switch kind {
	case 0:
		_, _ = c.ExecContext(ctx, "SELECT pg_sleep(0.02)")
	case 1: // Rows iterated slowly, closed late
		rows, err := c.QueryContext(ctx, "SELECT g FROM generate_series(1, 50) g")
		if err != nil {
			return
		}
		for rows.Next() {
			time.Sleep(time.Millisecond)
		}
		_ = rows.Close()
	case 2, 3: // a transaction; 3 never ends it (dropped)
		tx, err := beginTx(ctx, c)
		if err != nil {
			return
		}
		if kind == 3 {
			return
		}
		_, _ = tx.ExecContext(ctx, "SELECT pg_sleep(0.01)")
		_ = tx.Commit()
	}
}

// TestRedTeam5HeldOnePoolManyTenantsHeldTx: MaxPools 1, a transaction
// held open on one tenant: every other tenant's request fails with
// ErrPoolsExhausted at its own deadline (no hang), and once the
// transaction's context ends, between its Begin and its first statement,
// the others are served and Close returns.
func TestRedTeam5HeldOnePoolManyTenantsHeldTx(t *testing.T) {
	dbs := testenv.Databases(t, 3)
	cfg := pgConfig(t)
	cfg.MaxPools = 1
	r := newResolver(t, cfg)
	ids := []string{"a", "b", "c"}
	for i, id := range ids {
		if err := r.Set(context.Background(), id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[i]}}); err != nil {
			t.Fatal(err)
		}
	}
	txCtx, endTx := context.WithCancel(tctx("a"))
	defer endTx()
	c, err := r.ConnPool(txCtx, "a", tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := beginTx(txCtx, c); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, id := range ids[1:] {
		for range 1 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				ctx, cancel := context.WithTimeout(tctx(id), 300*time.Millisecond)
				defer cancel()
				c, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
				if err == nil {
					_, err = c.ExecContext(ctx, "SELECT 1")
				}
				if !errors.Is(err, resolver.ErrPoolsExhausted) {
					t.Errorf("tenant %s while a holds the only pool: %v, want ErrPoolsExhausted", id, err)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("tenant %s waited %v past its 300ms deadline", id, d)
				}
			}()
		}
	}
	wg.Wait()
	endTx()
	for _, id := range ids[1:] {
		ctx, cancel := context.WithTimeout(tctx(id), 3*time.Second)
		c, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
		if err == nil {
			_, err = c.ExecContext(ctx, "SELECT 1")
		}
		cancel()
		if err != nil {
			t.Errorf("tenant %s after a's transaction context ended: %v", id, err)
		}
	}
	done := make(chan struct{})
	go func() { _ = r.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs")
	}
}

// TestRedTeam5ConcurrentOpenersMisreportPoolCap: as the held test above,
// with three requests at once per waiting tenant. The first waits in
// takeSlot holding the tenant's openMu; the others wait in lockOpen and,
// at their deadline, get "waiting for the pool that a config change of
// the tenant is opening", which wraps no ErrPoolsExhausted (the
// documented error of a pool cap that stays full) and names a config
// change where there is none.
func TestRedTeam5ConcurrentOpenersMisreportPoolCap(t *testing.T) {
	dbs := testenv.Databases(t, 3)
	cfg := pgConfig(t)
	cfg.MaxPools = 1
	r := newResolver(t, cfg)
	ids := []string{"a", "b", "c"}
	for i, id := range ids {
		if err := r.Set(context.Background(), id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[i]}}); err != nil {
			t.Fatal(err)
		}
	}
	txCtx, endTx := context.WithCancel(tctx("a"))
	defer endTx()
	c, err := r.ConnPool(txCtx, "a", tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := beginTx(txCtx, c); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, id := range ids[1:] {
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				ctx, cancel := context.WithTimeout(tctx(id), 300*time.Millisecond)
				defer cancel()
				c, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
				if err == nil {
					_, err = c.ExecContext(ctx, "SELECT 1")
				}
				if !errors.Is(err, resolver.ErrPoolsExhausted) {
					t.Errorf("tenant %s while a holds the only pool: %v, want ErrPoolsExhausted", id, err)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("tenant %s waited %v past its 300ms deadline", id, d)
				}
			}()
		}
	}
	wg.Wait()
	endTx()
	for _, id := range ids[1:] {
		ctx, cancel := context.WithTimeout(tctx(id), 3*time.Second)
		c, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
		if err == nil {
			_, err = c.ExecContext(ctx, "SELECT 1")
		}
		cancel()
		if err != nil {
			t.Errorf("tenant %s after a's transaction context ended: %v", id, err)
		}
	}
	done := make(chan struct{})
	go func() { _ = r.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs")
	}
}

// beginTx begins a transaction on a tenant's pool.
func beginTx(ctx context.Context, c gorm.ConnPool) (gorm.Tx, error) {
	tx, err := c.(gorm.ConnPoolBeginner).BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return tx.(gorm.Tx), nil
}

// TestRedTeam5CloseHangsOnSetToSilentServer: a Set without a deadline
// changes a serving tenant to a server that accepts and never answers.
// Its next pool is leased while it is pinged, and the ping never ends;
// Close retired that pool and waited for its lease for good. Close now
// ends the ping; it returns once the attempt's socket is given up
// (pgdriver.SessionTimeout, the silent server never closing it).
func TestRedTeam5CloseHangsOnSetToSilentServer(t *testing.T) {
	dbs := testenv.Databases(t, 1)
	port, accepted := silentServer(t)
	r, err := resolver.New(pgConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Set(context.Background(), "a", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[0]}}); err != nil {
		t.Fatal(err)
	}
	c, err := r.ConnPool(tctx("a"), "a", tenantplugin.AccessWrite)
	if err == nil {
		_, err = c.ExecContext(tctx("a"), "SELECT 1")
	}
	if err != nil {
		t.Fatal(err)
	}
	setCtx, stopSet := context.WithCancel(context.Background())
	setDone := make(chan error, 1)
	go func() {
		setDone <- r.Set(setCtx, "a", tenantconfig.Database{DataSource: tenantconfig.DataSource{Port: port, Name: "nowhere"}})
	}()
	select {
	case <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("the Set never dialled the silent server")
	}
	closed := make(chan struct{})
	go func() { _ = r.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(pgdriver.SessionTimeout + 3*time.Second):
		// The attempt's socket is watched for up to SessionTimeout after
		// the ping gives up: the silent server never closes it.
		t.Errorf("Close still waits %v after it was called, for a Set pinging a silent server without a deadline",
			pgdriver.SessionTimeout+3*time.Second)
	}
	stopSet() // the test's own way out
	if err := <-setDone; !errors.Is(err, resolver.ErrClosed) {
		t.Errorf("Set to a silent server ended by Close: %v, want ErrClosed", err)
	}
	<-closed
}
