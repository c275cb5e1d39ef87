package pgdriver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/goleak"
	"gorm.io/driver/postgres"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// session connects with ConnectSession to the test server; the returned
// channel receives ended's error.
func session(ctx context.Context, t *testing.T) (driver.Conn, <-chan error, error) {
	t.Helper()
	c, err := New().Connector(testenv.PostgresURL(t), tenantconfig.DataSource{})
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 2)
	conn, err := c.(dbdriver.SessionConnector).ConnectSession(ctx, func(err error) { ended <- err })
	return conn, ended, err
}

func waitEnded(t *testing.T, ended <-chan error) time.Time {
	t.Helper()
	select {
	case err := <-ended:
		if err != nil {
			t.Errorf("ended: %v", err)
		}
		return time.Now()
	case <-time.After(2 * SessionTimeout):
		t.Fatal("ended never called")
	}
	return time.Time{}
}

func backendPID(t *testing.T, conn driver.Conn) int64 {
	t.Helper()
	rows, err := conn.(driver.QueryerContext).QueryContext(context.Background(), "SELECT pg_backend_pid()", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	v := make([]driver.Value, 1)
	if err := rows.Next(v); err != nil {
		t.Fatal(err)
	}
	return v[0].(int64)
}

// listed reports whether the server still lists the backend.
func listed(t *testing.T, admin *sql.DB, pid int64) bool {
	t.Helper()
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestSessionEndsAfterTheBackend: ended runs once the backend has
// exited: after a plain close, a close while the backend is busy, and a
// query cancelled on the server (which pgx closes in the background while
// the backend still runs).
func TestSessionEndsAfterTheBackend(t *testing.T) {
	admin := testenv.Admin(t)
	tests := []struct {
		name   string
		before func(t *testing.T, conn driver.Conn)
	}{
		{"close", func(*testing.T, driver.Conn) {}},
		{"closed while the backend is busy", func(t *testing.T, conn driver.Conn) {
			// Sent, not read: the backend sleeps on after Close.
			_ = conn.(validConn).Conn.Conn().PgConn().Exec(context.Background(), "SELECT pg_sleep(0.3)")
		}},
		{"cancelled query", func(t *testing.T, conn driver.Conn) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := conn.(driver.ExecerContext).ExecContext(ctx, "SELECT pg_sleep(5)", nil)
			if err == nil {
				t.Fatal("pg_sleep(5) finished within 50ms")
			}
			if conn.(driver.Validator).IsValid() {
				t.Error("a connection pgx closed is still valid: database/sql would keep it")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, ended, err := session(context.Background(), t)
			if err != nil {
				t.Fatal(err)
			}
			pid := backendPID(t, conn)
			tt.before(t, conn)
			start := time.Now()
			if err := conn.Close(); err != nil {
				t.Fatal(err)
			}
			at := waitEnded(t, ended)
			t.Logf("ended %v after Close", at.Sub(start).Round(time.Microsecond))
			if listed(t, admin, pid) {
				t.Errorf("backend %d still listed after ended", pid)
			}
			select {
			case err := <-ended:
				t.Errorf("ended called twice (%v)", err)
			default:
			}
		})
	}
}

// TestFailedAttemptEnds: an attempt that fails, before or after it
// reached the server, calls ended too.
func TestFailedAttemptEnds(t *testing.T) {
	for _, d := range []time.Duration{0, 500 * time.Microsecond, 2 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		conn, ended, err := session(ctx, t)
		cancel()
		if err == nil {
			_ = conn.Close()
		}
		waitEnded(t, ended)
	}
}

// TestOnlyAttemptsAreTracked: a socket dialled by an attempt ends when
// the server closes it, after the client did; sockets dialled outside
// ConnectSession (pgx's cancel requests, a plain Connect) or after it are
// the dialer's own.
func TestOnlyAttemptsAreTracked(t *testing.T) {
	var server net.Conn // the server's end of the last dial
	dial := trackSessions(func(context.Context, string, string) (net.Conn, error) {
		c, s := net.Pipe()
		server = s
		return c, nil
	})
	c, err := dial(context.Background(), "tcp", "x")
	if _, tracked := c.(*socket); err != nil || tracked {
		t.Fatalf("untracked dial: %T, %v", c, err)
	}
	_, _ = c.Close(), server.Close()

	ended := make(chan error, 1)
	a := &attempt{ended: func(err error) { ended <- err }}
	ctx := context.WithValue(context.Background(), attemptKey{}, a)
	c, err = dial(ctx, "tcp", "x")
	if _, tracked := c.(*socket); err != nil || !tracked {
		t.Fatalf("tracked dial: %T, %v", c, err)
	}
	session := server
	a.finish()
	late, _ := dial(ctx, "tcp", "x")
	if _, tracked := late.(*socket); tracked {
		t.Fatal("a dial after the attempt returned was tracked")
	}
	_, _ = late.Close(), server.Close()

	_ = c.Close()
	select {
	case err := <-ended:
		t.Fatalf("ended (%v) before the server closed its end", err)
	case <-time.After(50 * time.Millisecond):
	}
	_ = session.Close()
	waitEnded(t, ended)
}

// TestFailedAfterConnectEnds: pgx's stdlib connector drops a connection
// whose AfterConnect hook fails without closing it. The attempt closes its
// sockets itself, so the backend ends and ended runs.
func TestFailedAfterConnectEnds(t *testing.T) {
	admin := testenv.Admin(t)
	hookErr := errors.New("hook refused")
	var pid uint32
	d, err := New().(resolver.DialectorDriver).WithDialector(postgres.New(postgres.Config{
		DSN: testenv.PostgresURL(t),
		OptionOpenDB: []stdlib.OptionOpenDB{stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
			pid = c.PgConn().PID()
			return hookErr
		})},
	}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Connector(testenv.PostgresURL(t), tenantconfig.DataSource{})
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 2)
	conn, err := c.(dbdriver.SessionConnector).ConnectSession(context.Background(), func(err error) { ended <- err })
	if !errors.Is(err, hookErr) || conn != nil {
		t.Fatalf("ConnectSession = %v, %v; want the hook's error", conn, err)
	}
	waitEnded(t, ended)
	if pid == 0 {
		t.Fatal("the hook never ran")
	}
	if listed(t, admin, int64(pid)) {
		t.Fatalf("backend %d still runs after its failed attempt ended", pid)
	}
}
