package pgdriver

import (
	"crypto/tls"
	"database/sql/driver"
	"errors"
	"maps"
	"net"
	"net/netip"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// DriverName is the driver's name in configs.
const DriverName = "postgres"

// New returns the PostgreSQL driver. It opens pools as pgx reads their
// DSN until WithDialector configures a copy from a GORM dialector.
func New() dbdriver.Driver { return pgDriver{} }

type pgDriver struct {
	dialect *dialect // nil: pgx's defaults; see WithDialector
}

func (pgDriver) Name() string { return DriverName }

// Connector parses cfg.DSN, or the template DSN with cfg's fields set
// over it. Its errors never quote the DSN. The connector is a
// dbdriver.SessionConnector and a dbdriver.ServerConnector.
//
// It is also a dbdriver.UnpreparedConnector: its connections keep no
// prepared statement when they use the simple protocol or pgx's exec
// mode, or when the data source declares a transaction-mode pooler
// (whose connections must not use a mode that keeps them, or the
// connector is refused with ErrPreparedThroughPooler).
func (d pgDriver) Connector(templateDSN string, c tenantconfig.DataSource) (driver.Connector, error) {
	t, err := d.target(templateDSN, c, (*pgx.ConnConfig).Copy)
	if err != nil {
		return nil, err
	}
	conn := stdlib.GetConnector(*t.cc, t.opts...)
	return connector{Connector: conn, unprepared: t.unprepared, server: t.server, database: t.databases[0], databases: t.databases}, nil
}

// Check implements dbdriver.Checker: it refuses what Connector refuses
// and returns the databases its connector's Databases names.
func (d pgDriver) Check(templateDSN string, c tenantconfig.DataSource) ([]string, error) {
	t, err := d.target(templateDSN, c, checkCopy)
	if err != nil {
		return nil, err
	}
	return t.databases, nil
}

// target is what a connector for c is built from.
type target struct {
	cc         *pgx.ConnConfig
	opts       []stdlib.OptionOpenDB
	unprepared bool
	server     string
	databases  []string
}

// target merges c over a copy of templateDSN's config made by cp, applies
// the dialector's settings and names the databases reached.
func (d pgDriver) target(templateDSN string, c tenantconfig.DataSource, cp func(*pgx.ConnConfig) *pgx.ConnConfig) (target, error) {
	cc, pool, err := mergedConfig(templateDSN, c, cp)
	if err != nil {
		return target{}, err
	}
	cc.DialFunc = trackSessions(cc.DialFunc)
	opts, err := d.dialect.configure(cc, templateDSN, c)
	if err != nil {
		return target{}, err
	}
	unprepared, err := pool.unprepared(cc.DefaultQueryExecMode)
	if err != nil {
		return target{}, err
	}
	server := net.JoinHostPort(canonicalHost(cc.Host), strconv.Itoa(int(cc.Port)))
	name := databaseName(cc)
	databases := []string{net.JoinHostPort(databaseHost(cc.Host), strconv.Itoa(int(cc.Port))) + "/" + name}
	for _, f := range cc.Fallbacks {
		if db := net.JoinHostPort(databaseHost(f.Host), strconv.Itoa(int(f.Port))) + "/" + name; !slices.Contains(databases, db) {
			databases = append(databases, db)
		}
	}
	return target{cc: cc, opts: opts, unprepared: unprepared, server: server, databases: databases}, nil
}

// canonicalHost spells alike the hosts that reach one server without a
// look-up: a name in lower case without its trailing dot, an IP address
// in its shortest form (an IPv4 address mapped to IPv6 as IPv4), a
// socket directory cleaned.
func canonicalHost(h string) string {
	if strings.HasPrefix(h, "/") {
		return path.Clean(h)
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().String()
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// databaseHost is canonicalHost, with the names of the local host's
// loopback as one, "localhost" (localhost, 127.0.0.1, ::1, and the
// unspecified addresses 0.0.0.0 and ::, which reach it too), and a
// socket directory with its symbolic links followed (/var/run is /run on
// Debian): a database is named so, for the check that no two tenants
// share one. (Connection budgets keep them apart, by the host as
// written: see ServerConnector.)
func databaseHost(h string) string {
	h = canonicalHost(h)
	if strings.HasPrefix(h, "/") {
		if resolved, err := filepath.EvalSymlinks(h); err == nil {
			return resolved
		}
		return h
	}
	if a, err := netip.ParseAddr(h); err == nil && (a == loopback4 || a == netip.IPv6Loopback() || a.IsUnspecified()) {
		return "localhost"
	}
	return h
}

var loopback4 = netip.AddrFrom4([4]byte{127, 0, 0, 1})

// databaseName returns the database cc reaches: without a name, the
// server opens the one named after the user.
func databaseName(cc *pgx.ConnConfig) string {
	if cc.Database != "" {
		return cc.Database
	}
	return cc.User
}

// connConfig merges c over the template, and returns the pooler the
// data source declares: its own DSN's, or its params' over the
// template's.
func connConfig(templateDSN string, c tenantconfig.DataSource) (*pgx.ConnConfig, pooler, error) {
	return mergedConfig(templateDSN, c, (*pgx.ConnConfig).Copy)
}

// mergedConfig is connConfig, copying the template's config with cp.
func mergedConfig(templateDSN string, c tenantconfig.DataSource, cp func(*pgx.ConnConfig) *pgx.ConnConfig) (*pgx.ConnConfig, pooler, error) {
	var cc *pgx.ConnConfig
	var pool pooler
	var err error
	if c.DSN != "" {
		cc, pool, err = parseConfig(c.DSN, true)
	} else if cc, pool, err = templates.parse(templateDSN, cp); err == nil {
		err = mergeFields(cc, c, &pool)
	}
	if err == nil {
		err = checkConfig(cc)
	}
	if err != nil {
		return nil, pooler{}, err
	}
	return cc, pool, nil
}

// checkCopy copies a template's config for a check, which never connects
// with it: what merging a tenant's settings and the dialector's changes
// in place is copied (the run-time parameters, the fallbacks); the rest,
// which they read or replace, is shared (a tls.Config is cloned before
// it is changed: see withServerName). A fraction of Copy's cost, which a
// boot pays for every tenant.
func checkCopy(cc *pgx.ConnConfig) *pgx.ConnConfig {
	c := *cc
	c.RuntimeParams = maps.Clone(cc.RuntimeParams)
	if cc.Fallbacks != nil {
		c.Fallbacks = make([]*pgconn.FallbackConfig, len(cc.Fallbacks))
		for i, f := range cc.Fallbacks {
			g := *f
			c.Fallbacks[i] = &g
		}
	}
	return &c
}

// parseConfig parses dsn and takes its pooler param out of it.
func parseConfig(dsn string, fromTenant bool) (*pgx.ConnConfig, pooler, error) {
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, pooler{}, parseError(fromTenant, err)
	}
	pool, _, err := takePooler(cc.RuntimeParams)
	if err != nil {
		return nil, pooler{}, err
	}
	return cc, pool, nil
}

// templates caches parsed template DSNs: every tenant given as fields is
// merged over a copy of its template's config instead of parsing the
// template again (pgx.ParseConfig reads the environment and looks for
// the password and service files each time: most of the cost of
// registering a tenant). A template is parsed once per process, so PG*
// variables and .pgpass are read when the first tenant of a template is
// registered, as they were before for every tenant.
var templates = templateCache{m: make(map[string]parsedTemplate)}

// maxTemplates bounds the cache; past it, templates are parsed each time.
const maxTemplates = 64

type templateCache struct {
	mu sync.Mutex
	m  map[string]parsedTemplate
}

type parsedTemplate struct {
	cc   *pgx.ConnConfig
	pool pooler
	err  error
}

// parse returns a copy of the template's parsed config, made by cp, and
// its pooler.
func (t *templateCache) parse(dsn string, cp func(*pgx.ConnConfig) *pgx.ConnConfig) (*pgx.ConnConfig, pooler, error) {
	t.mu.Lock()
	p, ok := t.m[dsn]
	t.mu.Unlock()
	if !ok {
		p.cc, p.pool, p.err = parseConfig(dsn, false)
		t.mu.Lock()
		if len(t.m) < maxTemplates {
			t.m[dsn] = p
		}
		t.mu.Unlock()
	}
	if p.err != nil {
		return nil, pooler{}, p.err
	}
	return cp(p.cc), p.pool, nil
}

// mergeFields sets c's fields over the template's config cc, and its
// pgbouncer param over pool.
func mergeFields(cc *pgx.ConnConfig, c tenantconfig.DataSource, pool *pooler) error {
	if c.Host != "" {
		setHost(cc, c.Host)
	}
	if c.Port != 0 {
		if c.Port < 0 || c.Port > 65535 {
			return errors.New("pgdriver: port " + strconv.Itoa(c.Port) + " out of range")
		}
		cc.Port = uint16(c.Port)
		for _, f := range cc.Fallbacks {
			f.Port = cc.Port
		}
	}
	if c.Name != "" {
		cc.Database = c.Name
	}
	if c.User != "" {
		cc.User = c.User
	}
	if c.Password != "" {
		cc.Password = c.Password
	}
	if err := checkParamNames(c.Params); err != nil {
		return err
	}
	params := maps.Clone(c.Params)
	if p, ok, err := takePooler(params); err != nil {
		return err
	} else if ok {
		*pool = p
	}
	if m, ok, err := takeExecMode(params); err != nil {
		return err
	} else if ok {
		cc.DefaultQueryExecMode = m
	}
	if err := mergeParams(cc.RuntimeParams, params); err != nil {
		return err
	}
	return nil
}

// setHost moves cc to host. The attempts the template makes on its first
// host are kept, on host: with libpq's default sslmode (prefer) that is
// TLS, then plain text. Those on the template's other hosts are dropped.
// A TLS server name that was the template's host becomes host (the
// tls.Config is cloned: a config's copy shares it).
func setHost(cc *pgx.ConnConfig, host string) {
	first, port := cc.Host, cc.Port
	var fallbacks []*pgconn.FallbackConfig
	for _, f := range cc.Fallbacks {
		if f.Host == first && f.Port == port {
			g := *f
			g.Host, g.TLSConfig = host, withServerName(f.TLSConfig, first, host)
			fallbacks = append(fallbacks, &g)
		}
	}
	cc.Host, cc.Fallbacks = host, fallbacks
	cc.TLSConfig = withServerName(cc.TLSConfig, first, host)
}

// withServerName returns t with its server name old changed to host.
func withServerName(t *tls.Config, old, host string) *tls.Config {
	if t == nil || t.ServerName != old {
		return t
	}
	t = t.Clone()
	t.ServerName = host
	return t
}

// connSettings are the connection settings that are not run-time
// parameters: given as params, pgx would send its own "database" and
// "user" over them (the tenant reaching the template's database), and
// the server would refuse the others.
var connSettings = []string{"database", "dbname", "user", "password", "host", "hostaddr", "port"}

// checkParamNames refuses params that name a connection setting.
func checkParamNames(params map[string]string) error {
	for k := range params {
		for _, s := range connSettings {
			if strings.EqualFold(k, s) {
				return errors.New("pgdriver: param " + strconv.Quote(k) + " is a connection setting, not a run-time parameter: give it as the data source's field (name, user, password, host, port)")
			}
		}
	}
	return nil
}

// mergeParams sets params over the template's run-time parameters. Their
// names are case-insensitive, as PostgreSQL's are: a tenant's "timezone"
// replaces the template's "TimeZone".
func mergeParams(dst, params map[string]string) error {
	for k, v := range params {
		for old := range dst {
			if strings.EqualFold(old, k) {
				if _, dup := params[old]; dup && old != k {
					return errors.New("pgdriver: params " + strconv.Quote(old) + " and " + strconv.Quote(k) + " name the same setting")
				}
				delete(dst, old)
			}
		}
		dst[k] = v
	}
	return nil
}

// parseError drops pgx's copy of the connection string (which it only
// partly redacts) and keeps the reason.
func parseError(fromTenant bool, err error) error {
	where := "template dsn"
	if fromTenant {
		where = "dsn"
	}
	if inner := errors.Unwrap(err); inner != nil {
		return errors.New("pgdriver: cannot parse " + where + ": " + inner.Error())
	}
	return errors.New("pgdriver: cannot parse " + where)
}
