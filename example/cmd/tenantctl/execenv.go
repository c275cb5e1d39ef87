package main

import (
	"errors"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// tenantEnv is what exec puts in a command's environment for one tenant.
type tenantEnv struct {
	vars []string // KEY=VALUE, set over tenantctl's own environment
	// shown is the database's URL without its password, for -v.
	shown string
}

// sqliteEnv gives a SQLite tenant's database as DATABASE_URL=sqlite:PATH,
// the form tenantctl itself reads: PATH is the file the tenant's config
// names (its dsn, or else its name), as the resolver opens it, without
// the query parameters (connection pragmas) that may follow it. A
// relative PATH is relative to the working directory.
func sqliteEnv(id string, src tenantconfig.DataSource) tenantEnv {
	file := src.DSN
	if file == "" {
		file = src.Name
	}
	file, _, _ = strings.Cut(file, "?")
	u := sqliteScheme + file
	return tenantEnv{vars: []string{"TENANT_ID=" + id, "DATABASE_URL=" + u}, shown: u}
}

// libpqEnv names the environment variable of each libpq keyword exec
// passes on besides host, port, dbname, user and password.
var libpqEnv = map[string]string{
	"application_name":     "PGAPPNAME",
	"options":              "PGOPTIONS",
	"sslmode":              "PGSSLMODE",
	"sslrootcert":          "PGSSLROOTCERT",
	"sslcert":              "PGSSLCERT",
	"sslkey":               "PGSSLKEY",
	"sslsni":               "PGSSLSNI",
	"sslnegotiation":       "PGSSLNEGOTIATION",
	"sslcertmode":          "PGSSLCERTMODE",
	"connect_timeout":      "PGCONNECT_TIMEOUT",
	"target_session_attrs": "PGTARGETSESSIONATTRS",
	"channel_binding":      "PGCHANNELBINDING",
	"require_auth":         "PGREQUIREAUTH",
	"krbsrvname":           "PGKRBSRVNAME",
	"service":              "PGSERVICE",
	"servicefile":          "PGSERVICEFILE",
	"passfile":             "PGPASSFILE",
	"min_protocol_version": "PGMINPROTOCOLVERSION",
	"max_protocol_version": "PGMAXPROTOCOLVERSION",
}

// pgEnv gives a PostgreSQL tenant's database: src merged over
// templateDSN by pgdriver.ConnConfig, exactly as the application's
// resolver merges it, as a postgres:// DATABASE_URL and as libpq's PG*
// variables. The connection keywords pgx keeps no copy of (sslmode,
// sslrootcert, connect_timeout, ...) are read from the DSN the settings
// came from: the tenant's own, or else the template. Run-time parameters
// other than application_name go into options as -c NAME=VALUE, which
// libpq and pgx both send to the server. Errors never quote a DSN.
func pgEnv(id, templateDSN string, src tenantconfig.DataSource) (tenantEnv, error) {
	cc, err := pgdriver.ConnConfig(templateDSN, src)
	if err != nil {
		return tenantEnv{}, err
	}
	text := src.DSN
	if text == "" {
		text = templateDSN
	}
	kw, err := dsnKeywords(text)
	if err != nil {
		return tenantEnv{}, err
	}
	q := url.Values{}
	for k, v := range kw {
		if _, ok := libpqEnv[k]; ok && k != "application_name" && k != "options" {
			q.Set(k, v)
		}
	}
	if opts := runtimeOptions(cc); opts != "" {
		q.Set("options", opts)
	}
	if v, ok := cc.RuntimeParams["application_name"]; ok {
		q.Set("application_name", v)
	}

	hosts, ports := hostList(cc)
	u := &url.URL{Scheme: "postgres", Path: "/" + cc.Database}
	if len(hosts) == 1 && !strings.HasPrefix(hosts[0], "/") {
		u.Host = net.JoinHostPort(hosts[0], ports[0])
	} else {
		// A socket directory, or several hosts: as libpq's query
		// parameters, which take both.
		q.Set("host", strings.Join(hosts, ","))
		q.Set("port", strings.Join(ports, ","))
	}
	if cc.User != "" {
		u.User = url.User(cc.User)
		if cc.Password != "" {
			u.User = url.UserPassword(cc.User, cc.Password)
		}
	}
	// libpq decodes %XX only, not + for a space as url.Values.Encode
	// writes it (pgx decodes both).
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")

	vars := []string{
		"TENANT_ID=" + id,
		"DATABASE_URL=" + u.String(),
		"PGHOST=" + strings.Join(hosts, ","),
		"PGPORT=" + strings.Join(ports, ","),
		"PGDATABASE=" + cc.Database,
		"PGUSER=" + cc.User,
	}
	if cc.Password != "" {
		vars = append(vars, "PGPASSWORD="+cc.Password)
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if name, ok := libpqEnv[k]; ok {
			vars = append(vars, name+"="+q.Get(k))
		}
	}
	return tenantEnv{vars: vars, shown: u.Redacted()}, nil
}

// hostList returns the hosts pgx tries, in order, each once (pgx adds a
// fallback per host for sslmode=prefer and allow), with their ports.
func hostList(cc *pgx.ConnConfig) (hosts, ports []string) {
	seen := map[string]bool{}
	add := func(h string, p uint16) {
		key := h + "\x00" + strconv.Itoa(int(p))
		if seen[key] {
			return
		}
		seen[key] = true
		hosts, ports = append(hosts, h), append(ports, strconv.Itoa(int(p)))
	}
	add(cc.Host, cc.Port)
	for _, f := range cc.Fallbacks {
		add(f.Host, f.Port)
	}
	return hosts, ports
}

// runtimeOptions returns cc's run-time parameters, but
// application_name, as a libpq options value: the DSN's own options,
// then -c NAME=VALUE for each other one, sorted.
func runtimeOptions(cc *pgx.ConnConfig) string {
	var parts []string
	if o := cc.RuntimeParams["options"]; o != "" {
		parts = append(parts, o)
	}
	names := make([]string, 0, len(cc.RuntimeParams))
	for k := range cc.RuntimeParams {
		if k != "options" && k != "application_name" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		parts = append(parts, "-c "+optionEscape(k+"="+cc.RuntimeParams[k]))
	}
	return strings.Join(parts, " ")
}

// optionEscape escapes spaces and backslashes as libpq's options value
// wants them.
func optionEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == ' ' || r == '\\' || r == '\t' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// errDSNSyntax is returned for a DSN dsnKeywords cannot read; the DSN is
// never quoted (it may hold a password).
var errDSNSyntax = errors.New("tenantctl: cannot read the connection keywords of the dsn")

// dsnKeywords returns the keywords of a postgres:// URL's query, or of a
// keyword=value DSN (values quoted with ' and escaped with \ as libpq
// reads them).
func dsnKeywords(dsn string) (map[string]string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, errDSNSyntax
		}
		out := map[string]string{}
		for k, v := range u.Query() {
			out[k] = v[len(v)-1]
		}
		return out, nil
	}
	out := map[string]string{}
	s := strings.TrimLeft(dsn, " \t\n\r\v\f")
	for s != "" {
		key, rest, ok := strings.Cut(s, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t\n\r\v\f") {
			return nil, errDSNSyntax
		}
		s = strings.TrimLeft(rest, " \t\n\r\v\f")
		var val strings.Builder
		quoted := strings.HasPrefix(s, "'")
		if quoted {
			s = s[1:]
		}
		i := 0
		for ; i < len(s); i++ {
			c := s[i]
			if quoted && c == '\'' || !quoted && strings.IndexByte(" \t\n\r\v\f", c) >= 0 {
				break
			}
			if c == '\\' && i+1 < len(s) {
				i++
				c = s[i]
			}
			val.WriteByte(c)
		}
		if quoted {
			if i == len(s) {
				return nil, errDSNSyntax
			}
			i++ // the closing quote
		}
		out[key] = val.String()
		s = strings.TrimLeft(s[i:], " \t\n\r\v\f")
	}
	return out, nil
}
