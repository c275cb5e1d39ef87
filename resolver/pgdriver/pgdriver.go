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
// socket directory cleaned. It names a server's connection budget, as
// written in Config.ServerMaxConns: unlike databaseHost, it keeps apart
// the loopback host's names, an IPv6 address's zones, and the C
// library's other spellings of an IPv4 address (127.1), which Go's own
// resolver looks up as names.
func canonicalHost(h string) string {
	if strings.HasPrefix(h, "/") {
		return path.Clean(h)
	}
	if mayBeIP(h) {
		if a, err := netip.ParseAddr(h); err == nil {
			return addrString(h, a.Unmap())
		}
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// mayBeIP reports whether netip.ParseAddr could read h (an IPv4 address
// starts with a digit, an IPv6 address holds a colon): a host name is
// not parsed, for ParseAddr's error allocates.
func mayBeIP(h string) bool {
	return h != "" && (isDigit(h[0]) || strings.IndexByte(h, ':') >= 0)
}

// addrString is a.String(), without allocating when h spells it so.
func addrString(h string, a netip.Addr) string {
	var buf [64]byte
	if b := a.AppendTo(buf[:0]); string(b) == h {
		return h
	}
	return a.String()
}

// databaseHost names a database's host, for the check that no two
// tenants share one: spellings that may reach one server name it alike,
// and naming two servers alike only refuses more. A name is in lower
// case without its trailing dot. An IP address is in its shortest form,
// and also when written as the C library reads it (see inetAton: 127.1,
// 2130706433, 0x7f.1, 0177.0.0.1 are 127.0.0.1: Go's resolver hands
// them to getaddrinfo on macOS, and with GODEBUG=netdns=cgo), an IPv4
// address mapped to IPv6 as IPv4, an IPv6 address without its zone
// (fe80::1%eth0 and fe80::1%2 may be one host; fe80::1%eth1 may be
// another, named alike). The local host's loopback is "localhost"
// (localhost, 127.0.0.1, ::1, and the unspecified addresses 0.0.0.0
// and ::, which reach it too). A socket directory is cleaned, with its
// symbolic links followed (/var/run is /run on Debian). (Connection
// budgets keep the loopback host's names apart, by the host as written:
// see canonicalHost and ServerConnector.)
//
// It makes no look-up, and allocates nothing for a host name in lower
// case, an IP address in its shortest form, or the loopback host.
func databaseHost(h string) string {
	if strings.HasPrefix(h, "/") {
		h = path.Clean(h)
		if resolved, err := filepath.EvalSymlinks(h); err == nil {
			return resolved
		}
		return h
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	a, ok := hostAddr(h)
	if !ok {
		return h
	}
	if a == loopback4 || a == netip.IPv6Loopback() || a.IsUnspecified() {
		return "localhost"
	}
	return addrString(h, a)
}

// hostAddr returns the IP address h spells, as the C library's
// getaddrinfo or Go's resolver reads it without a look-up: an IPv4
// address in any of inet_aton's forms, an IPv6 address, without its
// zone, an IPv4 address mapped to IPv6 as IPv4.
func hostAddr(h string) (netip.Addr, bool) {
	if a, ok := inetAton(h); ok {
		return a, true
	}
	if strings.IndexByte(h, ':') < 0 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// inetAton reads h as the C library's inet_aton reads an IPv4 address:
// one to four parts separated by dots, each decimal, hexadecimal after
// 0x or 0X, or octal after a 0; each but the last is a byte, and the
// last fills the bytes left (127.1 is 127.0.0.1, 2130706433 and
// 0x7f000001 are too, 0 is 0.0.0.0, 10.1 is 10.0.0.1). Where C
// libraries differ, it takes the reading of the one that accepts more,
// as naming two databases alike only refuses more: glibc's and musl's
// getaddrinfo read no more than the above, with no part over
// 0xffffffff; the BSDs' inet_aton (macOS) also ignore white space and
// what follows it, read a part "0x" without digits as 0 (but for the
// last), wrap a part at 64 bits (an unsigned long) and cut a lone
// part to 32. What both read, they read alike (TestInetAton,
// FuzzHostAddr).
func inetAton(h string) (netip.Addr, bool) {
	var parts [3]uint64 // all but the last, each a byte
	n := 0
	for i := 0; ; {
		v, next, digits, ok := inetAtonPart(h, i)
		if !ok {
			return netip.Addr{}, false
		}
		if i = next; i < len(h) && h[i] == '.' {
			if n == len(parts) || v > 0xff {
				return netip.Addr{}, false
			}
			parts[n] = v
			n++
			i++
			continue
		}
		if (i < len(h) && !isCSpace(h[i])) || !digits || (n > 0 && v > 0xffffffff>>(8*n)) {
			return netip.Addr{}, false
		}
		a := uint32(v)
		for k := range n {
			a |= uint32(parts[k]) << (24 - 8*k)
		}
		return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), true
	}
}

// inetAtonPart reads the part of an inet_aton address at h[i:], which
// must start with a digit, up to the next byte that is not one of its
// digits. digits is false for "0x" alone.
func inetAtonPart(h string, i int) (v uint64, next int, digits, ok bool) {
	if i == len(h) || !isDigit(h[i]) {
		return 0, i, false, false
	}
	switch {
	case h[i] == '0' && i+1 < len(h) && h[i+1]|0x20 == 'x':
		for i += 2; i < len(h); i++ {
			switch c := h[i]; {
			case isDigit(c):
				v = v<<4 | uint64(c-'0')
			case 'a' <= (c|0x20) && (c|0x20) <= 'f':
				v = v<<4 | uint64((c|0x20)-'a'+10)
			default:
				return v, i, digits, true
			}
			digits = true
		}
		return v, i, digits, true
	case h[i] == '0':
		for i++; i < len(h) && isDigit(h[i]); i++ {
			if h[i] > '7' {
				return 0, i, false, false
			}
			v = v*8 + uint64(h[i]-'0')
		}
	default:
		for ; i < len(h) && isDigit(h[i]); i++ {
			v = v*10 + uint64(h[i]-'0')
		}
	}
	return v, i, true, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isCSpace is C's isspace in the C locale.
func isCSpace(c byte) bool { return c == ' ' || '\t' <= c && c <= '\r' }

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
