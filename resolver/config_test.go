package resolver_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
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

// TestConfigRefusesNegatives: a negative value other than -1 is refused,
// naming the field.
func TestConfigRefusesNegatives(t *testing.T) {
	tests := []struct {
		field string
		set   func(*resolver.Config)
	}{
		{"MaxPools", func(c *resolver.Config) { c.MaxPools = -2 }},
		{"MaxConns", func(c *resolver.Config) { c.MaxConns = -5 }},
		{"IdleTimeout", func(c *resolver.Config) { c.IdleTimeout = -time.Second }},
		{"StmtCacheSize", func(c *resolver.Config) { c.StmtCacheSize = -2 }},
		{"Template.Pool.MaxOpenConns", func(c *resolver.Config) { c.Template.Pool.MaxOpenConns = -2 }},
		{"Template.Pool.MaxIdleConns", func(c *resolver.Config) { c.Template.Pool.MaxIdleConns = -2 }},
		{"Template.Pool.ConnMaxLifetime", func(c *resolver.Config) { c.Template.Pool.ConnMaxLifetime = -2 }},
		{"Template.Pool.ConnMaxIdleTime", func(c *resolver.Config) { c.Template.Pool.ConnMaxIdleTime = -time.Minute }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			cfg := sqliteConfig()
			tt.set(&cfg)
			r, err := resolver.New(cfg)
			if err == nil {
				_ = r.Close()
			}
			if !errors.Is(err, resolver.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.field+" is ") {
				t.Fatalf("err = %v, want ErrInvalidConfig naming %s", err, tt.field)
			}
		})
	}
}

// setTenants registers n tenants, t0 to t<n-1>, on files of their own.
func setTenants(t *testing.T, r *resolver.Resolver, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("t%d", i)
		if err := r.Set(context.Background(), ids[i], file(t, ids[i]+".db")); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func exec(t *testing.T, r *resolver.Resolver, id string) {
	t.Helper()
	pool, err := r.ConnPool(context.Background(), id, tenantplugin.AccessWrite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.ExecContext(context.Background(), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
}

// TestMaxPoolsDefaultAndOff: by default the pool that opens past
// DefaultMaxPools evicts one; with -1 none is evicted.
func TestMaxPoolsDefaultAndOff(t *testing.T) {
	tests := []struct {
		name        string
		maxPools    int
		wantEvicted uint64
	}{
		{"default", 0, 1},
		{"off", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := sqliteConfig()
			cfg.MaxPools = tt.maxPools
			r := newResolver(t, cfg)
			for _, id := range setTenants(t, r, resolver.DefaultMaxPools+1) {
				exec(t, r, id)
			}
			st := r.Stats()
			if st.Evicted != tt.wantEvicted || st.OpenPools > resolver.DefaultMaxPools+1-int(tt.wantEvicted) {
				t.Fatalf("stats = %+v, want %d evicted", st, tt.wantEvicted)
			}
		})
	}
}

// holdConns takes n connections of db at once and returns them.
func holdConns(t *testing.T, db *sql.DB, n int) []*sql.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conns := make([]*sql.Conn, 0, n)
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatalf("connection %d of %d: %v", len(conns)+1, n, err)
		}
		if err := c.PingContext(ctx); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	return conns
}

// TestConnLimitsDefault: a tenant pool has DefaultMaxOpenConns and keeps
// DefaultMaxIdleConns idle; the budget is DefaultMaxConns.
func TestConnLimitsDefault(t *testing.T) {
	r := newResolver(t, sqliteConfig())
	setTenants(t, r, 1)
	l, err := r.Lease(context.Background(), "t0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	conns := holdConns(t, l.DB(), resolver.DefaultMaxIdleConns+2)
	for _, c := range conns {
		_ = c.Close()
	}
	st := l.DB().Stats()
	if st.MaxOpenConnections != resolver.DefaultMaxOpenConns || st.Idle != resolver.DefaultMaxIdleConns || st.MaxIdleClosed != 2 {
		t.Fatalf("db stats = %+v, want %d open at most, %d idle", st, resolver.DefaultMaxOpenConns, resolver.DefaultMaxIdleConns)
	}
	if got := r.Stats().MaxConns; got != resolver.DefaultMaxConns {
		t.Fatalf("MaxConns = %d, want %d", got, resolver.DefaultMaxConns)
	}
}

// TestConnLimitsOff: with MaxConns, MaxOpenConns and MaxIdleConns at -1,
// a pool holds more connections than any default allows, none waits for
// the budget, and none is kept idle.
func TestConnLimitsOff(t *testing.T) {
	cfg := sqliteConfig()
	cfg.MaxConns = -1
	cfg.Template.Pool.MaxOpenConns = -1
	cfg.Template.Pool.MaxIdleConns = -1
	r := newResolver(t, cfg)
	setTenants(t, r, 1)
	l, err := r.Lease(context.Background(), "t0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	n := resolver.DefaultMaxConns + 5
	conns := holdConns(t, l.DB(), n)
	st, rs := l.DB().Stats(), r.Stats()
	if st.MaxOpenConnections != 0 || st.OpenConnections != n || rs.ConnsInUse != n || rs.BudgetWaits != 0 || rs.MaxConns != -1 {
		t.Fatalf("db stats = %+v, resolver stats = %+v: want %d connections, unlimited, no budget", st, rs, n)
	}
	for _, c := range conns {
		_ = c.Close()
	}
	if st := l.DB().Stats(); st.Idle != 0 || st.MaxIdleClosed != int64(n) {
		t.Fatalf("db stats = %+v, want no idle connection", st)
	}
}

// TestIdleTimeoutOff: with IdleTimeout -1 a pool stays open while a
// resolver with a short timeout closes its own.
func TestIdleTimeoutOff(t *testing.T) {
	short := sqliteConfig()
	short.IdleTimeout = 40 * time.Millisecond
	off := sqliteConfig()
	off.IdleTimeout = -1
	rs, ro := newResolver(t, short), newResolver(t, off)
	setTenants(t, rs, 1)
	setTenants(t, ro, 1)
	start := time.Now()
	exec(t, rs, "t0")
	exec(t, ro, "t0")
	waitFor(t, 5*time.Second, "the short timeout to close its pool", func() bool { return rs.Stats().Closed > 0 })
	// Give the janitor at least two of its longest steps.
	time.Sleep(time.Until(start.Add(1100 * time.Millisecond)))
	if st := ro.Stats(); st.Evicted != 0 || st.OpenPools != 1 {
		t.Fatalf("stats = %+v, want the idle pool open", st)
	}
}

// TestConnMaxLifetimeOff: a connection older than a positive
// ConnMaxLifetime is closed when reused; with -1 it is not.
func TestConnMaxLifetimeOff(t *testing.T) {
	tests := []struct {
		name       string
		lifetime   time.Duration
		wantClosed int64
	}{
		{"positive", 20 * time.Millisecond, 1},
		{"off", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := sqliteConfig()
			cfg.Template.Pool.ConnMaxLifetime = tt.lifetime
			r := newResolver(t, cfg)
			setTenants(t, r, 1)
			exec(t, r, "t0")
			time.Sleep(40 * time.Millisecond) // the setting under test is a duration
			exec(t, r, "t0")
			if st, _ := r.TenantStats("t0"); st.MaxLifetimeClosed != tt.wantClosed {
				t.Fatalf("db stats = %+v, want %d closed for lifetime", st, tt.wantClosed)
			}
		})
	}
}

// TestConnMaxIdleTimeOff: with ConnMaxIdleTime -1 an idle connection is
// kept while a pool with a short idle time closes its own.
func TestConnMaxIdleTimeOff(t *testing.T) {
	short := sqliteConfig()
	short.Template.Pool.ConnMaxIdleTime = 10 * time.Millisecond
	off := sqliteConfig()
	off.Template.Pool.ConnMaxIdleTime = -1
	rs, ro := newResolver(t, short), newResolver(t, off)
	setTenants(t, rs, 1)
	setTenants(t, ro, 1)
	exec(t, rs, "t0")
	exec(t, ro, "t0")
	waitFor(t, 5*time.Second, "the short idle time to close a connection", func() bool {
		st, _ := rs.TenantStats("t0")
		return st.MaxIdleTimeClosed > 0
	})
	if st, _ := ro.TenantStats("t0"); st.Idle != 1 || st.MaxIdleTimeClosed != 0 {
		t.Fatalf("db stats = %+v, want the idle connection kept", st)
	}
}

// TestStmtCacheSizeOff: sessions with PrepareStmt keep statements
// prepared by default; with StmtCacheSize -1 nothing is prepared, in or
// out of transactions.
func TestStmtCacheSizeOff(t *testing.T) {
	tests := []struct {
		name     string
		size     int
		prepares func(int64) bool
	}{
		{"default", 0, func(n int64) bool { return n > 0 }},
		{"off", -1, func(n int64) bool { return n == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var prepares atomic.Int64
			cfg := sqliteConfig()
			cfg.Drivers = []dbdriver.Driver{countingDriver{sqlitedriver.New(), &prepares}}
			cfg.StmtCacheSize = tt.size
			r := newResolver(t, cfg)
			setTenants(t, r, 1)
			db := gormWith(t, "sqlite", file(t, "central.db").Name, r)
			ctx := tctx("t0")
			if err := db.WithContext(ctx).Exec("CREATE TABLE notes (n int)").Error; err != nil {
				t.Fatal(err)
			}
			prepared := db.Session(&gorm.Session{PrepareStmt: true, Context: ctx})
			for i := range 3 {
				if err := prepared.Exec("INSERT INTO notes VALUES (?)", i).Error; err != nil {
					t.Fatal(err)
				}
			}
			err := prepared.Transaction(func(tx *gorm.DB) error {
				return tx.Exec("INSERT INTO notes VALUES (?)", 9).Error
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := prepares.Load(); !tt.prepares(n) {
				t.Fatalf("%d statements prepared", n)
			}
		})
	}
}

// countingDriver counts the statements its connections prepare.
type countingDriver struct {
	dbdriver.Driver
	n *atomic.Int64
}

func (d countingDriver) Connector(tmpl string, c tenantconfig.DataSource) (driver.Connector, error) {
	conn, err := d.Driver.Connector(tmpl, c)
	return countingConnector{conn, d.n}, err
}

type countingConnector struct {
	driver.Connector
	n *atomic.Int64
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return countingConn{conn, c.n}, nil
}

// countingConn passes everything on, so that database/sql prepares only
// what its user prepares.
type countingConn struct {
	driver.Conn
	n *atomic.Int64
}

func (c countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.n.Add(1)
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (c countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}
