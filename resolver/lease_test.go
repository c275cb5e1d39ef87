package resolver_test

import (
	"context"
	"errors"
	"strings"
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

// pgResolver returns a resolver on the test server with tenant a on
// dbs[0] and b on dbs[1], closed within a deadline when the test ends.
func pgResolver(t *testing.T, maxPools int) (*resolver.Resolver, []string) {
	t.Helper()
	dbs := testenv.Databases(t, 2)
	r, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(t)},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
		MaxPools: maxPools,
		Logger:   fixture.Quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeWithin(t, r, 10*time.Second) })
	for i, id := range []string{"a", "b"} {
		if err := r.Set(context.Background(), id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[i]}, Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return r, dbs
}

// TestLeaseReachesTenant: a Lease's *sql.DB is the tenant's database, and
// Release is idempotent.
func TestLeaseReachesTenant(t *testing.T) {
	r, dbs := pgResolver(t, 0)
	ctx := context.Background()
	for i, id := range []string{"a", "b"} {
		l, err := r.Lease(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if l.Tenant() != id {
			t.Fatalf("Tenant() = %q, want %q", l.Tenant(), id)
		}
		var name string
		if err := l.DB().QueryRowContext(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if name != dbs[i] {
			t.Fatalf("tenant %s's lease reached %s, want %s", id, name, dbs[i])
		}
		l.Release()
		l.Release()
	}
	// The pools stay open for statements after their leases ended.
	if st := r.Stats(); st.Closed != 0 || st.OpenPools != 2 {
		t.Fatalf("stats after Release: %+v", st)
	}
}

// TestLeaseHoldsRetiredPool: a config change or a removal while a Lease
// is held leaves its pool open and serving the lease; the pool closes
// once the lease is released.
func TestLeaseHoldsRetiredPool(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *resolver.Resolver, dbs []string) error
	}{
		{"Set", func(r *resolver.Resolver, dbs []string) error {
			// b, which never opened a pool, frees its database for a.
			if err := r.Remove(context.Background(), "b"); err != nil {
				return err
			}
			return r.Set(context.Background(), "a", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[1]}, Version: 2})
		}},
		{"Remove", func(r *resolver.Resolver, _ []string) error {
			return r.Remove(context.Background(), "a")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, dbs := pgResolver(t, 0)
			ctx := context.Background()
			l, err := r.Lease(ctx, "a")
			if err != nil {
				t.Fatal(err)
			}
			db := l.DB()
			if err := tt.change(r, dbs); err != nil {
				t.Fatal(err)
			}
			var name string
			if err := db.QueryRowContext(ctx, "SELECT current_database()").Scan(&name); err != nil || name != dbs[0] {
				t.Fatalf("leased pool after %s: %q, %v; want %s", tt.name, name, err, dbs[0])
			}
			if tt.name == "Set" {
				// New work goes to the new database meanwhile.
				pool, err := r.ConnPool(tctx("a"), "a", tenantplugin.AccessWrite)
				if err != nil {
					t.Fatal(err)
				}
				if err := pool.QueryRowContext(tctx("a"), "SELECT current_database()").Scan(&name); err != nil || name != dbs[1] {
					t.Fatalf("new work after Set: %q, %v; want %s", name, err, dbs[1])
				}
			}
			if st := r.Stats(); st.Closed != 0 {
				t.Fatalf("a pool closed while leased: %+v", st)
			}
			l.Release()
			waitFor(t, 5*time.Second, "the old pool to close", func() bool { return r.Stats().Closed == 1 })
			if err := db.PingContext(ctx); err == nil || !strings.Contains(err.Error(), "closed") {
				t.Fatalf("old pool after Release: ping = %v, want closed", err)
			}
		})
	}
}

// TestLeaseEndsWithContext: a Lease holds its pool against eviction, and
// a Lease never released lets its pool go when its context ends.
func TestLeaseEndsWithContext(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			var dbs []string
			if backend == "postgres" {
				dbs = testenv.Databases(t, 2)
			}
			e := newLeakEnv(t, backend, dbs) // MaxPools 1
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if _, err := e.r.Lease(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			qctx, qcancel := context.WithTimeout(tctx("b"), 100*time.Millisecond)
			err := e.db.WithContext(qctx).Exec("SELECT 1").Error
			qcancel()
			if !errors.Is(err, resolver.ErrPoolsExhausted) {
				t.Fatalf("tenant b while a is leased: err = %v, want ErrPoolsExhausted", err)
			}
			cancel() // no Release
			qctx, qcancel = context.WithTimeout(tctx("b"), 3*time.Second)
			defer qcancel()
			if err := e.db.WithContext(qctx).Exec("SELECT 1").Error; err != nil {
				t.Fatalf("tenant b after the lease's context ended: %v", err)
			}
		})
	}
}

// TestLeaseRefusesBadInput: a malformed id, an unknown tenant, a context
// already done and a closed resolver give no lease and open nothing.
func TestLeaseRefusesBadInput(t *testing.T) {
	r := newResolver(t, sqliteConfig())
	ctx := context.Background()
	if err := r.Set(ctx, "a", file(t, "a.db")); err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		id   string
		want error
	}{
		{"empty id", ctx, "", tenant.ErrInvalidID},
		{"dotdot id", ctx, "a/../b", tenant.ErrInvalidID},
		{"unknown", ctx, "zz", tenant.ErrUnknown},
		{"context done", done, "a", context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := r.Lease(tt.ctx, tt.id)
			if !errors.Is(err, tt.want) || l != nil {
				t.Fatalf("Lease = %v, %v; want %v", l, err, tt.want)
			}
			if st := r.Stats(); st.Opened != 0 {
				t.Fatalf("a pool opened: %+v", st)
			}
		})
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Lease(ctx, "a"); !errors.Is(err, resolver.ErrClosed) {
		t.Fatalf("Lease after Close: %v, want ErrClosed", err)
	}
}

// TestCloseEndsForgottenLease: Close does not wait for a Lease whose
// context never ends: it ends it, and its *sql.DB is closed.
func TestCloseEndsForgottenLease(t *testing.T) {
	r, _ := pgResolver(t, 0)
	l, err := r.Lease(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.DB().Ping(); err != nil {
		t.Fatal(err)
	}
	closeWithin(t, r, 5*time.Second)
	if st := r.Stats(); st.OpenPools != 0 {
		t.Fatalf("%d pools open after Close", st.OpenPools)
	}
	if err := l.DB().Ping(); err == nil {
		t.Fatal("the lease's *sql.DB still works after Close")
	}
	l.Release() // harmless after Close
}

// TestCloseWaitsForTransaction: Close waits for a transaction in flight,
// and returns once it commits.
func TestCloseWaitsForTransaction(t *testing.T) {
	r := newResolver(t, sqliteConfig())
	ctx := context.Background()
	if err := r.Set(ctx, "a", file(t, "a.db")); err != nil {
		t.Fatal(err)
	}
	pool, err := r.ConnPool(ctx, "a", tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pool.(gorm.ConnPoolBeginner).BeginTx(tctx("a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	tx := c.(gorm.Tx)
	closed := make(chan error, 1)
	go func() { closed <- r.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned with a transaction in flight: %v", err)
	case <-time.After(200 * time.Millisecond): // Close keeps waiting
	}
	if _, err := tx.ExecContext(ctx, "CREATE TABLE t (x int)"); err != nil {
		t.Fatalf("transaction during Close: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return after the transaction committed")
	}
}
