package tenanttest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
)

// pgServer is a PostgreSQL server reached with an admin URL: its user
// creates and drops the test databases, and tenants connect as it.
type pgServer struct {
	url string
	id  string // host, port and user: the server's key, without secrets
}

// newPGServer checks the admin URL without connecting. Its errors never
// quote the URL.
func newPGServer(adminURL string) (pgServer, error) {
	if adminURL == "" {
		return pgServer{}, errors.New("empty admin URL")
	}
	cc, err := pgx.ParseConfig(adminURL)
	if err != nil {
		// pgx's message quotes the URL, and a url.Error does too: keep
		// only the reason a url.Error carries.
		var ue *url.Error
		if errors.As(err, &ue) {
			return pgServer{}, fmt.Errorf("admin URL does not parse: %w", ue.Err)
		}
		return pgServer{}, errors.New("admin URL does not parse")
	}
	id := "postgres " + cc.User + "@" + net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port)))
	return pgServer{url: adminURL, id: id}, nil
}

func (pgServer) kind() string  { return "postgres" }
func (s pgServer) key() string { return s.id }

func (pgServer) driver() resolver.DialectorDriver {
	return pgdriver.New().(resolver.DialectorDriver)
}

func (s pgServer) templateDSN() string { return s.url }

func (pgServer) dialector(pool gorm.ConnPool) gorm.Dialector {
	return postgres.New(postgres.Config{Conn: pool})
}

func (s pgServer) connector(name string) (driver.Connector, error) {
	return pgdriver.New().Connector(s.url, dataSource(name))
}

func (s pgServer) buildConnector(name string) (driver.Connector, func(context.Context) error, error) {
	c, err := s.connector(name)
	if err != nil {
		return nil, nil, err
	}
	sc, ok := c.(dbdriver.SessionConnector)
	if !ok {
		return nil, nil, errors.New("pgdriver's connector cannot tell when a session ends")
	}
	w := &sessionWaiter{sc: sc}
	return w, w.wait, nil
}

func (s pgServer) admin(ctx context.Context, _ string) (admin, error) {
	cc, err := pgx.ParseConfig(s.url)
	if err != nil {
		return nil, errors.New("admin URL does not parse")
	}
	db := stdlib.OpenDB(*cc)
	db.SetMaxOpenConns(maxParallel)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres (%s): %w", s.id, err)
	}
	return &pgAdmin{db: db}, nil
}

// pgAdmin creates and drops databases on one server.
type pgAdmin struct{ db *sql.DB }

func (*pgAdmin) name(what string) string {
	return fmt.Sprintf("tenanttest_%s_%s_%d", process(), what, seq.Add(1))
}

func (a *pgAdmin) create(ctx context.Context, name string) error {
	_, err := a.db.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

// clone copies tpl, which must have no connection (seal makes sure no
// new one comes).
func (a *pgAdmin) clone(ctx context.Context, tpl, name string) error {
	_, err := a.db.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+
		" TEMPLATE "+pgx.Identifier{tpl}.Sanitize())
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "55006" { // object_in_use
		return fmt.Errorf("template %s still has connections: %w", tpl, err)
	}
	return err
}

// seal refuses connections to a template from now on: one would make
// every clone fail until it ends.
func (a *pgAdmin) seal(ctx context.Context, name string) error {
	_, err := a.db.ExecContext(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH ALLOW_CONNECTIONS false")
	return err
}

func (a *pgAdmin) drop(ctx context.Context, name string) error {
	_, err := a.db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

func (a *pgAdmin) close() error { return a.db.Close() }
