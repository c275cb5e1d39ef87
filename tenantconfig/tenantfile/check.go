package tenantfile

import (
	"fmt"
	"math"
	"math/big"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// The fields allowed at each level, for the "unknown field" message.
const (
	fileFields    = "mapping_metadata, tenant_config"
	serviceFields = "orm_config, cache_config"
	dbFields      = "driver, dsn, host, port, name, user, password, params, replicas"
	replicaFields = "driver, dsn, host, port, name, user, password, params"
	cacheFields   = "url"
)

// checker walks a decoded file, builds the File and collects every
// problem with its path. It goes on after a problem, so that one run
// reports them all.
type checker struct {
	opts     options
	problems []Problem
}

func (c *checker) addf(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) unknown(path, allowed string) {
	c.addf(path, "unknown field (allowed: %s)", allowed)
}

// object returns n's members when n is an object, and reports duplicate
// keys.
func (c *checker) object(n *node, path string) ([]member, bool) {
	if n.kind != kObject {
		c.addf(path, "expected object, got %s", n.kind)
		return nil, false
	}
	if len(n.members) > 1 {
		seen := make(map[string]bool, len(n.members))
		for _, m := range n.members {
			if seen[m.key] {
				c.addf(child(path, m.key), "duplicate key")
			}
			seen[m.key] = true
		}
	}
	return n.members, true
}

// str returns n's value when n is a non-empty string.
func (c *checker) str(n *node, path string) (string, bool) {
	if n.kind != kString {
		c.addf(path, "expected string, got %s", n.kind)
		return "", false
	}
	if n.text == "" {
		c.addf(path, "empty string (omit the field instead)")
		return "", false
	}
	return n.text, true
}

func (c *checker) file(n *node) *File {
	members, ok := c.object(n, "$")
	if !ok {
		return nil
	}
	f := &File{Tenants: map[string]map[string]tenantconfig.Config{}}
	seenTenants := false
	for _, m := range members {
		p := child("$", m.key)
		switch m.key {
		case "mapping_metadata":
			f.MappingMetadata = c.mapping(m.val, p)
		case "tenant_config":
			seenTenants = true
			if t := c.tenants(m.val, p); t != nil {
				f.Tenants = t
			}
		default:
			c.unknown(p, fileFields)
		}
	}
	if !seenTenants {
		c.addf("$", `missing field "tenant_config"`)
	}
	return f
}

func (c *checker) tenants(n *node, path string) map[string]map[string]tenantconfig.Config {
	members, ok := c.object(n, path)
	if !ok {
		return nil
	}
	out := make(map[string]map[string]tenantconfig.Config, len(members))
	for _, m := range members {
		p := child(path, m.key)
		if err := tenant.ValidateID(m.key); err != nil {
			c.addf(p, "%s", strings.TrimPrefix(err.Error(), "tenant: "))
		}
		out[m.key] = c.services(m.val, p)
	}
	return out
}

func (c *checker) services(n *node, path string) map[string]tenantconfig.Config {
	members, ok := c.object(n, path)
	if !ok {
		return nil
	}
	if len(members) == 0 {
		c.addf(path, "tenant has no services")
		return nil
	}
	out := make(map[string]tenantconfig.Config, len(members))
	for _, m := range members {
		p := child(path, m.key)
		if m.key == "" {
			c.addf(p, "empty service name")
		}
		out[m.key] = c.service(m.val, p)
	}
	if c.opts.service != "" {
		if _, ok := out[c.opts.service]; !ok {
			c.addf(path, "missing service %q", c.opts.service)
		}
	}
	return out
}

func (c *checker) service(n *node, path string) tenantconfig.Config {
	var sc tenantconfig.Config
	members, ok := c.object(n, path)
	if !ok {
		return sc
	}
	seenORM := false
	for _, m := range members {
		p := child(path, m.key)
		switch m.key {
		case "orm_config":
			seenORM = true
			sc.ORM = c.orm(m.val, p)
		case "cache_config":
			sc.Cache = c.cache(m.val, p)
		default:
			c.unknown(p, serviceFields)
		}
	}
	if !seenORM {
		c.addf(path, `missing field "orm_config"`)
	}
	return sc
}

func (c *checker) orm(n *node, path string) map[string]map[string]tenantconfig.Database {
	members, ok := c.object(n, path)
	if !ok {
		return nil
	}
	if len(members) == 0 {
		c.addf(path, "no ORM configured")
		return nil
	}
	out := make(map[string]map[string]tenantconfig.Database, len(members))
	for _, m := range members {
		p := child(path, m.key)
		if m.key == "" {
			c.addf(p, "empty ORM id")
		}
		aliases, ok := c.object(m.val, p)
		if !ok {
			continue
		}
		if len(aliases) == 0 {
			c.addf(p, "no database alias configured")
			continue
		}
		dbs := make(map[string]tenantconfig.Database, len(aliases))
		for _, a := range aliases {
			ap := child(p, a.key)
			if a.key == "" {
				c.addf(ap, "empty alias")
			}
			dbs[a.key] = c.database(a.val, ap, true)
		}
		out[m.key] = dbs
	}
	return out
}

// database reads a tenant's database for one alias (primary) or one of
// its replicas: a DSN, or fields merged over the template's DSN, never
// both.
func (c *checker) database(n *node, path string, primary bool) tenantconfig.Database {
	var tc tenantconfig.Database
	members, ok := c.object(n, path)
	if !ok {
		return tc
	}
	db := &tc.DataSource
	var dsn bool
	var fields []string // paths of the fields set besides the DSN
	for _, m := range members {
		p := child(path, m.key)
		switch m.key {
		case "driver":
			if s, ok := c.str(m.val, p); ok {
				c.driver(s, p)
				db.Driver = s
			}
		case "dsn":
			dsn = true
			db.DSN, _ = c.str(m.val, p)
		case "host", "name", "user", "password":
			fields = append(fields, p)
			s, _ := c.str(m.val, p)
			switch m.key {
			case "host":
				db.Host = s
			case "name":
				db.Name = s
			case "user":
				db.User = s
			default:
				db.Password = s
			}
		case "port":
			fields = append(fields, p)
			db.Port = c.port(m.val, p)
		case "params":
			if m.val.kind != kObject || len(m.val.members) > 0 {
				fields = append(fields, p)
			}
			db.Params = c.params(m.val, p)
		case "replicas":
			switch {
			case !primary:
				c.addf(p, "a replica has no replicas")
			case m.val.kind != kArray:
				c.addf(p, "expected array, got %s", m.val.kind)
			default:
				for i, e := range m.val.elems {
					tc.Replicas = append(tc.Replicas, c.database(e, index(p, i), false).DataSource)
				}
			}
		case "version":
			c.addf(p, "versions are assigned by the store: remove the field")
		default:
			if primary {
				c.unknown(p, dbFields)
			} else {
				c.unknown(p, replicaFields)
			}
		}
	}
	switch {
	case dsn:
		for _, p := range fields {
			c.addf(p, "ignored when dsn is set: remove it or the dsn")
		}
	case len(fields) == 0:
		c.addf(path, "no database settings: set dsn, or at least one of host, port, name, user, password, params")
	}
	return tc
}

func (c *checker) driver(name, path string) {
	if len(c.opts.drivers) == 0 || slices.Contains(c.opts.drivers, name) {
		return
	}
	allowed := strings.Join(c.opts.drivers, ", ")
	if plainName(name) {
		c.addf(path, "unsupported driver %q (allowed: %s)", name, allowed)
	} else { // not a driver name: perhaps a DSN in the wrong field, so not quoted
		c.addf(path, "unsupported driver (allowed: %s)", allowed)
	}
}

// plainName reports whether s looks like a driver name, safe to quote.
func plainName(s string) bool {
	if len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && c != '-' && c != '.' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// port accepts a JSON integer from 1 to 65535 (5432.0 and 5.432e3 are
// integers too, as in JSON Schema).
func (c *checker) port(n *node, path string) int {
	if n.kind != kNumber {
		c.addf(path, "expected integer, got %s", n.kind)
		return 0
	}
	p, ok := portNumber(n.text)
	if !ok {
		c.addf(path, "port must be an integer from 1 to 65535")
	}
	return p
}

func portNumber(lit string) (int, bool) {
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || f < 1 || f > 65535 || f != math.Trunc(f) {
		return 0, false
	}
	// The float may have rounded a fraction away: check exactly. The
	// length bound keeps big.Rat away from huge exponents.
	if len(lit) > 64 {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(lit)
	if !ok || !r.IsInt() {
		return 0, false
	}
	return int(f), true
}

func (c *checker) params(n *node, path string) map[string]string {
	members, ok := c.object(n, path)
	if !ok || len(members) == 0 {
		return nil
	}
	out := make(map[string]string, len(members))
	for _, m := range members {
		p := child(path, m.key)
		if m.key == "" {
			c.addf(p, "empty parameter name")
		}
		if m.val.kind != kString {
			c.addf(p, "expected string, got %s", m.val.kind)
			continue
		}
		out[m.key] = m.val.text
	}
	return out
}

func (c *checker) cache(n *node, path string) map[string]tenantconfig.Cache {
	members, ok := c.object(n, path)
	if !ok || len(members) == 0 {
		return nil
	}
	out := make(map[string]tenantconfig.Cache, len(members))
	for _, m := range members {
		p := child(path, m.key)
		if m.key == "" {
			c.addf(p, "empty alias")
		}
		fields, ok := c.object(m.val, p)
		if !ok {
			continue
		}
		var cc tenantconfig.Cache
		seenURL := false
		for _, f := range fields {
			fp := child(p, f.key)
			if f.key != "url" {
				c.unknown(fp, cacheFields)
				continue
			}
			seenURL = true
			if s, ok := c.str(f.val, fp); ok {
				if !validURL(s) {
					c.addf(fp, "not a URL (want scheme://host...)")
				}
				cc.URL = s
			}
		}
		if !seenURL {
			c.addf(p, `missing field "url"`)
		}
		out[m.key] = cc
	}
	return out
}

// validURL reports whether s is a URL that starts with scheme://.
func validURL(s string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	if !ok || !isScheme(scheme) {
		return false
	}
	_, err := url.Parse(s)
	return err == nil
}

func (c *checker) mapping(n *node, path string) map[string]string {
	members, ok := c.object(n, path)
	if !ok || len(members) == 0 {
		return nil
	}
	out := make(map[string]string, len(members))
	byTarget := make(map[string]string, len(members))
	for _, m := range members {
		p := child(path, m.key)
		if m.key == "" {
			c.addf(p, "empty deployment key")
		}
		if m.val.kind != kString {
			c.addf(p, "expected string, got %s", m.val.kind)
			continue
		}
		out[m.key] = m.val.text
		if _, ok := parseTarget(m.val.text); !ok {
			c.addf(p, "not a config path: want %s", targetGrammar)
			continue
		}
		if other, ok := byTarget[m.val.text]; ok && other != m.key {
			c.addf(p, "same config path as %q", other)
		}
		byTarget[m.val.text] = m.key
	}
	return out
}

// target is a config path that a deployment key sets.
type target struct {
	cache      bool
	orm, alias string
	field      string
}

const targetGrammar = "orm_config.<orm>.<alias>.<field> (field: dsn, host, port, name, user, password, driver) or cache_config.<alias>.url"

func parseTarget(s string) (target, bool) {
	parts := strings.Split(s, ".")
	for _, p := range parts {
		if p == "" {
			return target{}, false
		}
	}
	switch {
	case len(parts) == 4 && parts[0] == "orm_config":
		switch parts[3] {
		case "dsn", "host", "port", "name", "user", "password", "driver":
			return target{orm: parts[1], alias: parts[2], field: parts[3]}, true
		}
	case len(parts) == 3 && parts[0] == "cache_config" && parts[2] == "url":
		return target{cache: true, alias: parts[1], field: "url"}, true
	}
	return target{}, false
}

// path is the target's JSON path in a service config.
func (t target) path() string {
	if t.cache {
		return child(child(child("$", "cache_config"), t.alias), "url")
	}
	return child(child(child(child("$", "orm_config"), t.orm), t.alias), t.field)
}
