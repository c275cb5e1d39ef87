package resolver_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// slowDriver delays building connectors once armed, to widen races.
type slowDriver struct {
	dbdriver.Driver
	delay atomic.Int64
}

func (s *slowDriver) Connector(tmpl string, c tenantconfig.DataSource) (driver.Connector, error) {
	time.Sleep(time.Duration(s.delay.Load()))
	return s.Driver.Connector(tmpl, c)
}

// TestCloseWhilePoolOpens closes the resolver while a pool is being
// built: Close returns, and the late pool is closed too.
func TestCloseWhilePoolOpens(t *testing.T) {
	sd := &slowDriver{Driver: sqlitedriver.New()}
	cfg := sqliteConfig()
	cfg.Drivers = []dbdriver.Driver{sd}
	r, err := resolver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Set(context.Background(), "a", file(t, "a.db")); err != nil {
		t.Fatal(err)
	}
	sd.delay.Store(int64(300 * time.Millisecond))
	opened := make(chan error, 1)
	go func() {
		_, err := r.ConnPool(context.Background(), "a", tenantplugin.AccessWrite)
		opened <- err
	}()
	time.Sleep(100 * time.Millisecond)
	done := make(chan struct{})
	go func() { _ = r.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("Close blocked: %+v", r.Stats())
	}
	if err := <-opened; !errors.Is(err, resolver.ErrClosed) {
		t.Fatalf("pool opened during Close: %v", err)
	}
	if st := r.Stats(); st.OpenPools != 0 {
		t.Fatalf("%d pools open after Close", st.OpenPools)
	}
}

// TestBudgetWaiterTakesIdlePool: with a budget of one connection, a
// tenant waiting for it gets it as soon as the tenant holding it goes
// idle, not when that idle connection expires.
func TestBudgetWaiterTakesIdlePool(t *testing.T) {
	cfg := sqliteConfig()
	cfg.MaxConns = 1
	r := newResolver(t, cfg)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := r.Set(ctx, id, file(t, id+".db")); err != nil {
			t.Fatal(err)
		}
	}
	pa, err := r.ConnPool(ctx, "a", tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := pa.(gorm.ConnPoolBeginner).BeginTx(tctx("a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := r.ConnPool(ctx, "b", tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan error, 1)
	go func() {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err := pb.ExecContext(c, "SELECT 1")
		res <- err
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := tx.(gorm.TxCommitter).Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != nil {
		t.Fatalf("tenant b: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("tenant b waited %v after tenant a went idle", d)
	}
}

func TestBudgetErrorIsTyped(t *testing.T) {
	cfg := sqliteConfig()
	cfg.MaxConns = 1
	r := newResolver(t, cfg)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := r.Set(ctx, id, file(t, id+".db")); err != nil {
			t.Fatal(err)
		}
	}
	pa, _ := r.ConnPool(ctx, "a", tenantplugin.AccessWrite)
	tx, err := pa.(gorm.ConnPoolBeginner).BeginTx(tctx("a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.(gorm.TxCommitter).Rollback() }()
	pb, _ := r.ConnPool(ctx, "b", tenantplugin.AccessWrite)
	c, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := pb.ExecContext(c, "SELECT 1"); !errors.Is(err, resolver.ErrConnBudget) {
		t.Fatalf("err = %v, want ErrConnBudget", err)
	}
}

// TestHandleRefusesOtherTenantsTransaction: a tenant's pool begins no
// transaction for a context naming another tenant, or none.
func TestHandleRefusesOtherTenantsTransaction(t *testing.T) {
	r := newResolver(t, sqliteConfig())
	ctx := context.Background()
	if err := r.Set(ctx, "a", file(t, "a.db")); err != nil {
		t.Fatal(err)
	}
	pa, _ := r.ConnPool(ctx, "a", tenantplugin.AccessWrite)
	for _, c := range []context.Context{ctx, tctx("b")} {
		if _, err := pa.(gorm.ConnPoolBeginner).BeginTx(c, nil); !errors.Is(err, tenantplugin.ErrCrossDatabase) {
			t.Fatalf("err = %v, want ErrCrossDatabase", err)
		}
	}
}
