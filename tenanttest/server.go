package tenanttest

import (
	"context"
	"crypto/rand"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// server is where an Env's databases live: SQLite files, or databases of
// a PostgreSQL server.
type server interface {
	// kind is "sqlite" or "postgres".
	kind() string
	// key tells servers apart in the template cache; it holds no secret.
	key() string
	// driver is the resolver's driver for tenants.
	driver() resolver.DialectorDriver
	// templateDSN is the resolver's template DSN.
	templateDSN() string
	// dialector is GORM's dialector over a pool of this server.
	dialector(pool gorm.ConnPool) gorm.Dialector
	// connector opens database name, uncounted.
	connector(name string) (driver.Connector, error)
	// buildConnector opens database name for building a template, with
	// a wait that returns once every connection it made has ended on the
	// server.
	buildConnector(name string) (c driver.Connector, wait func(context.Context) error, err error)
	// admin opens what creates and drops databases; SQLite files go in
	// dir.
	admin(ctx context.Context, dir string) (admin, error)
}

// admin creates, clones and drops databases. It is safe for concurrent
// use.
type admin interface {
	// name returns a new database name (a file for SQLite), unique on the
	// server, with what in it for whoever reads a listing.
	name(what string) string
	// create makes an empty database.
	create(ctx context.Context, name string) error
	// clone makes database name a copy of the template tpl.
	clone(ctx context.Context, tpl, name string) error
	// seal makes a freshly built template ready to be cloned.
	seal(ctx context.Context, name string) error
	// drop removes a database, closing whatever is still connected.
	drop(ctx context.Context, name string) error
	// close releases the admin's own connections.
	close() error
}

// process names this test binary's databases: its pid and a random part,
// so that binaries of several machines sharing a server never collide.
var process = sync.OnceValue(func() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
})

// seq numbers the databases this binary makes.
var seq atomic.Int64

// buildTimeout bounds the building of a template and waiting for its
// connections to end.
const buildTimeout = 2 * time.Minute

// sessionWaiter opens connections whose server sessions it can wait for
// (PostgreSQL's backend processes outlive a client's Close): a template
// must have no session left when it is cloned.
type sessionWaiter struct {
	sc   dbdriver.SessionConnector
	open sync.WaitGroup
}

// Connect implements driver.Connector.
func (w *sessionWaiter) Connect(ctx context.Context) (driver.Conn, error) {
	w.open.Add(1)
	return w.sc.ConnectSession(ctx, func(error) { w.open.Done() })
}

// Driver implements driver.Connector.
func (w *sessionWaiter) Driver() driver.Driver { return w.sc.Driver() }

// wait returns when every session has ended, or with ctx's error.
func (w *sessionWaiter) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { w.open.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the template's connections to end: %w", context.Cause(ctx))
	}
}

// dataSource is a tenant's database on s.
func dataSource(name string) tenantconfig.DataSource { return tenantconfig.DataSource{Name: name} }
