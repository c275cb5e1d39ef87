package drvwrap_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/drvwrap"
	"github.com/tenantrouter/tenantplugin/internal/memdriver"
)

// TestReuseFalseClosesOnReturn: a connection whose Reuse hook says no is
// closed by database/sql when the query is done, not kept idle.
func TestReuseFalseClosesOnReturn(t *testing.T) {
	tests := []struct {
		name       string
		reuse      bool
		wantClosed int64
		wantIdle   int
	}{
		{"kept", true, 0, 1},
		{"closed", false, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var closed atomic.Int64
			db := sql.OpenDB(drvwrap.Connector(memdriver.Connector{}, drvwrap.Hooks{
				Reuse:  func() bool { return tt.reuse },
				Closed: func() { closed.Add(1) },
			}))
			defer db.Close()
			if _, err := db.ExecContext(context.Background(), "SELECT 1"); err != nil {
				t.Fatal(err)
			}
			if closed.Load() != tt.wantClosed || db.Stats().Idle != tt.wantIdle {
				t.Fatalf("closed %d, idle %d; want %d, %d", closed.Load(), db.Stats().Idle, tt.wantClosed, tt.wantIdle)
			}
		})
	}
}

// sessionConnector is a SessionConnector that ends every session at
// once.
type sessionConnector struct{ memdriver.Connector }

func (c sessionConnector) ConnectSession(ctx context.Context, ended func(error)) (driver.Conn, error) {
	defer ended(nil)
	return c.Connect(ctx)
}

// TestSessionConnectorForwarded: wrapping keeps ConnectSession, with the
// hooks applied.
func TestSessionConnectorForwarded(t *testing.T) {
	refuse := errors.New("refused")
	var allow atomic.Bool
	c := drvwrap.Connector(sessionConnector{}, drvwrap.Hooks{Connect: func(context.Context) error {
		if allow.Load() {
			return nil
		}
		return refuse
	}})
	sc, ok := c.(drvwrap.SessionConnector)
	if !ok {
		t.Fatal("the wrapper hides ConnectSession")
	}
	ended := 0
	if _, err := sc.ConnectSession(context.Background(), func(error) { ended++ }); !errors.Is(err, refuse) || ended != 0 {
		t.Fatalf("Connect hook skipped: err %v, ended %d", err, ended)
	}
	allow.Store(true)
	conn, err := sc.ConnectSession(context.Background(), func(error) { ended++ })
	if err != nil || ended != 1 {
		t.Fatalf("err %v, ended %d", err, ended)
	}
	if _, ok := conn.(*drvwrap.Conn); !ok {
		t.Fatalf("connection not wrapped: %T", conn)
	}
	if _, ok := drvwrap.Connector(memdriver.Connector{}, drvwrap.Hooks{}).(drvwrap.SessionConnector); ok {
		t.Fatal("a plain connector became a SessionConnector")
	}
}

// unpreparedConnector says its connections keep no prepared statement.
type unpreparedConnector struct{ memdriver.Connector }

func (unpreparedConnector) Unprepared() bool { return true }

// TestUnpreparedForwarded: wrapping keeps dbdriver.UnpreparedConnector's
// answer, plain or with sessions; a connector without it stays prepared.
func TestUnpreparedForwarded(t *testing.T) {
	type unprepared interface{ Unprepared() bool }
	for _, tt := range []struct {
		name string
		c    driver.Connector
		want bool
	}{
		{"plain", memdriver.Connector{}, false},
		{"unprepared", unpreparedConnector{}, true},
		{"session", sessionConnector{}, false},
	} {
		u, ok := drvwrap.Connector(tt.c, drvwrap.Hooks{}).(unprepared)
		if !ok || u.Unprepared() != tt.want {
			t.Errorf("%s: Unprepared %v (method: %v), want %v", tt.name, ok && u.Unprepared(), ok, tt.want)
		}
	}
}

// serverConnector is a connector that names its server.
type serverConnector struct{ memdriver.Connector }

func (serverConnector) Server() string { return "db1:5432" }

// TestServerForwarded: the wrapper names the wrapped connector's server,
// so that the resolver's budget per server sees through it.
func TestServerForwarded(t *testing.T) {
	type server interface{ Server() string }
	for _, tt := range []struct {
		name string
		c    driver.Connector
		want string
	}{
		{"plain", memdriver.Connector{}, ""},
		{"server", serverConnector{}, "db1:5432"},
		{"session", sessionConnector{}, ""},
	} {
		s, ok := drvwrap.Connector(tt.c, drvwrap.Hooks{}).(server)
		if !ok || s.Server() != tt.want {
			t.Errorf("%s: Server %q (method: %v), want %q", tt.name, func() string {
				if ok {
					return s.Server()
				}
				return ""
			}(), ok, tt.want)
		}
	}
}

// TestCheckRefuses: a Check hook's error refuses a statement on every
// path database/sql sends one by (Exec, Query, Prepare, in a
// transaction), and lets the others through.
func TestCheckRefuses(t *testing.T) {
	errBad := errors.New("bad statement")
	db := sql.OpenDB(drvwrap.Connector(memdriver.Connector{}, drvwrap.Hooks{
		Check: func(q string) error {
			if q == "BAD" {
				return errBad
			}
			return nil
		},
	}))
	defer db.Close()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for name, run := range map[string]func(q string) error{
		"Exec": func(q string) error { _, err := db.ExecContext(ctx, q); return err },
		"Query": func(q string) error {
			rows, err := db.QueryContext(ctx, q)
			if err == nil {
				_ = rows.Close()
			}
			return err
		},
		"Prepare": func(q string) error {
			st, err := db.PrepareContext(ctx, q)
			if err == nil {
				_ = st.Close()
			}
			return err
		},
		"tx Exec": func(q string) error { _, err := tx.ExecContext(ctx, q); return err },
	} {
		if err := run("BAD"); !errors.Is(err, errBad) {
			t.Errorf("%s: err = %v, want the hook's", name, err)
		}
		if err := run("SELECT 1"); err != nil {
			t.Errorf("%s of an accepted statement: %v", name, err)
		}
	}
}

// databaseConnector is a connector that names its database.
type databaseConnector struct{ memdriver.Connector }

func (databaseConnector) Database() string { return "db1:5432/shop" }

// TestDatabaseForwarded: the wrapper names the wrapped connector's
// database, so that the resolver's check of databases shared by two
// tenants sees through it.
func TestDatabaseForwarded(t *testing.T) {
	type database interface{ Database() string }
	for _, tt := range []struct {
		name string
		c    driver.Connector
		want string
	}{
		{"plain", memdriver.Connector{}, ""},
		{"database", databaseConnector{}, "db1:5432/shop"},
	} {
		d, ok := drvwrap.Connector(tt.c, drvwrap.Hooks{}).(database)
		if !ok {
			t.Fatalf("%s: the wrapper has no Database method", tt.name)
		}
		if got := d.Database(); got != tt.want {
			t.Errorf("%s: Database %q, want %q", tt.name, got, tt.want)
		}
	}
}

// databasesConnector is a connector that names its database on two hosts.
type databasesConnector struct{ databaseConnector }

func (databasesConnector) Databases() []string { return []string{"db1:5432/shop", "db2:5432/shop"} }

// TestDatabasesForwarded: the wrapper names the wrapped connector's
// database at each of its addresses, or at its one address, so that a
// tenant given it on a fallback host is seen through the wrapper.
func TestDatabasesForwarded(t *testing.T) {
	type databases interface{ Databases() []string }
	for _, tt := range []struct {
		name string
		c    driver.Connector
		want []string
	}{
		{"plain", memdriver.Connector{}, nil},
		{"database", databaseConnector{}, []string{"db1:5432/shop"}},
		{"databases", databasesConnector{}, []string{"db1:5432/shop", "db2:5432/shop"}},
	} {
		d, ok := drvwrap.Connector(tt.c, drvwrap.Hooks{}).(databases)
		if !ok {
			t.Fatalf("%s: the wrapper has no Databases method", tt.name)
		}
		if got := d.Databases(); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Databases %q, want %q", tt.name, got, tt.want)
		}
	}
}
