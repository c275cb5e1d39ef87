package pgdriver

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
)

// SessionTimeout bounds the wait for the server to end a session after
// its connection was closed. A backend that has not exited by then is
// reported as unknown (the budget slot is given back anyway).
const SessionTimeout = 5 * time.Second

// connector is pgx's connector with session tracking: it implements
// dbdriver.SessionConnector.
//
// A PostgreSQL backend keeps its socket open until its process exits, so
// that a client can tell when the session is really over (see
// socket_close in PostgreSQL's pqcomm.c). pgx closes a connection whose
// query was cancelled in the background: it sends a cancel request on a
// separate socket, then Terminate, and the backend runs on until the
// cancel lands. Each socket a tracked attempt dials is therefore read
// until the server closes it, after pgx closed it.
type connector struct {
	driver.Connector
	unprepared bool
	server     string   // host:port, for dbdriver.ServerConnector
	database   string   // host:port/name, for dbdriver.DatabaseConnector
	databases  []string // on each host, for dbdriver.DatabasesConnector
}

// Unprepared implements dbdriver.UnpreparedConnector.
func (c connector) Unprepared() bool { return c.unprepared }

// Server implements dbdriver.ServerConnector: the host and port the
// connector dials first.
func (c connector) Server() string { return c.server }

// Database implements dbdriver.DatabaseConnector: the server and the
// database name.
func (c connector) Database() string { return c.database }

// Databases implements dbdriver.DatabasesConnector: the database on each
// host the connector may dial, the first first.
func (c connector) Databases() []string { return c.databases }

// ConnectSession implements dbdriver.SessionConnector.
func (c connector) ConnectSession(ctx context.Context, ended func(error)) (driver.Conn, error) {
	a := &attempt{ended: ended}
	conn, err := c.Connect(context.WithValue(ctx, attemptKey{}, a))
	if err != nil {
		// pgx drops a connection whose AfterConnect hook failed without
		// closing it: close what the attempt left open.
		a.closeAll()
	}
	a.finish()
	if sc, ok := conn.(*stdlib.Conn); ok {
		return validConn{sc}, nil
	}
	return conn, err
}

// validConn is a pgx connection that database/sql does not keep once
// pgx has closed it (it does so on its own when a query is cancelled):
// without IsValid, the dead connection would wait in the pool, holding
// its budget slot, until a request picks it and fails over to another.
type validConn struct {
	*stdlib.Conn
}

// IsValid implements driver.Validator.
func (c validConn) IsValid() bool { return !c.Conn.Conn().IsClosed() }

type attemptKey struct{}

// attempt gathers the sockets one connection attempt dials (fallback
// hosts and failed tries included) and calls ended when all are gone.
type attempt struct {
	ended func(error)

	mu    sync.Mutex
	open  int       // sockets not yet gone
	socks []*socket // every socket dialled
	done  bool      // the attempt returned: it dials no more
	err   error     // the first socket whose end is unknown
}

// dialled counts a new socket; false when the attempt is over.
func (a *attempt) dialled(s *socket) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done {
		return false
	}
	a.open++
	a.socks = append(a.socks, s)
	return true
}

// closeAll closes the attempt's sockets; those closed already are left
// as they are.
func (a *attempt) closeAll() {
	a.mu.Lock()
	socks := a.socks
	a.mu.Unlock()
	for _, s := range socks {
		_ = s.Close()
	}
}

func (a *attempt) gone(err error) {
	a.mu.Lock()
	a.open--
	if a.err == nil {
		a.err = err
	}
	fire, err := a.done && a.open == 0, a.err
	a.mu.Unlock()
	if fire {
		a.ended(err)
	}
}

func (a *attempt) finish() {
	a.mu.Lock()
	a.done = true
	fire, err := a.open == 0, a.err
	a.mu.Unlock()
	if fire {
		a.ended(err)
	}
}

// trackSessions wraps dial: a socket dialled by a tracked attempt is a
// session socket. Others, such as pgx's cancel requests (which dial
// through the same function with a context of their own), are left
// alone.
func trackSessions(dial pgconn.DialFunc) pgconn.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if a, _ := ctx.Value(attemptKey{}).(*attempt); a != nil {
			if s := (&socket{Conn: c, a: a}); a.dialled(s) {
				return s, nil
			}
		}
		return c, nil
	}
}

// socket is a session's socket. Its Close returns at once; a goroutine
// then reads until the server closes its end (the backend exited) or
// SessionTimeout passes, closes the socket and tells the attempt. The
// goroutine belongs to whoever waits for the attempt's ended.
type socket struct {
	net.Conn
	a *attempt

	mu      sync.Mutex
	closing bool
}

// Close implements net.Conn.
func (s *socket) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil
	}
	s.closing = true
	go s.drain()
	return nil
}

func (s *socket) drain() {
	// pgx sends Terminate before it closes, but not when it gives up
	// connecting: a backend then waits for input. The end of the input
	// ends it too.
	if cw, ok := s.Conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	err := s.Conn.SetDeadline(time.Now().Add(SessionTimeout))
	if err == nil {
		_, err = io.Copy(io.Discard, s.Conn)
	}
	_ = s.Conn.Close()
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = fmt.Errorf("pgdriver: server session did not end within %v of its close", SessionTimeout)
	case err != nil:
		// Reset or closed by the server: the backend is gone as well.
		err = nil
	}
	s.a.gone(err)
}

// SetDeadline implements net.Conn. Once closing, deadlines are the
// drain's: pgx clears its own after Close.
func (s *socket) SetDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil
	}
	return s.Conn.SetDeadline(t)
}

// SetReadDeadline implements net.Conn.
func (s *socket) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil
	}
	return s.Conn.SetReadDeadline(t)
}

// SetWriteDeadline implements net.Conn.
func (s *socket) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil
	}
	return s.Conn.SetWriteDeadline(t)
}

var (
	_ dbdriver.SessionConnector    = connector{}
	_ dbdriver.UnpreparedConnector = connector{}
	_ driver.Validator             = validConn{}
	_ driver.SessionResetter       = validConn{}
	_ driver.ExecerContext         = validConn{}
	_ driver.QueryerContext        = validConn{}
	_ driver.ConnBeginTx           = validConn{}
	_ driver.Pinger                = validConn{}
	_ driver.NamedValueChecker     = validConn{}
)
