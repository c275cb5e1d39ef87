package main

import (
	"cmp"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantfile"
)

// scrubber removes the run's secrets from the messages it prints: each
// DSN becomes its redacted form (tenantfile.Redact) and each password
// "[redacted]", wherever an error quotes them (raw or URL-escaped).
// The errors of the drivers and of the library quote no password, as a
// rule; the scrubber holds for those that might.
type scrubber struct {
	mu    sync.Mutex
	pairs map[string]string // secret → replacement
	r     *strings.Replacer // nil when pairs changed
}

// newScrubber knows the secrets of the settings: DATABASE_URL's and the
// Redis URL's.
func newScrubber(s settings) *scrubber {
	sc := &scrubber{pairs: map[string]string{}}
	sc.addDSN(s.databaseURL)
	sc.addDSN(s.redisURL)
	return sc
}

// addDatabase adds the secrets of a tenant's database and replicas.
func (sc *scrubber) addDatabase(db tenantconfig.Database) {
	sc.addSource(db.DataSource)
	for _, r := range db.Replicas {
		sc.addSource(r)
	}
}

func (sc *scrubber) addSource(ds tenantconfig.DataSource) {
	sc.addSecret(ds.Password)
	for k, v := range ds.Params {
		if tenantfile.SecretKey(k) {
			sc.addSecret(v)
		}
	}
	sc.addDSN(ds.DSN)
}

// addDSN adds a DSN (URL or keyword form) and the passwords in it.
func (sc *scrubber) addDSN(dsn string) {
	if dsn == "" {
		return
	}
	one := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{"": {"": {DataSource: tenantconfig.DataSource{DSN: dsn}}}}}
	sc.add(dsn, tenantfile.Redact(one).ORM[""][""].DSN)
	if u, err := url.Parse(dsn); err == nil {
		if pw, ok := u.User.Password(); ok {
			sc.addSecret(pw)
		}
		for k, vs := range u.Query() {
			if tenantfile.SecretKey(k) {
				for _, v := range vs {
					sc.addSecret(v)
				}
			}
		}
	}
	if cfg, err := pgconn.ParseConfig(dsn); err == nil {
		sc.addSecret(cfg.Password) // the keyword form's, and PGPASSWORD's
	}
}

func (sc *scrubber) addSecret(s string) {
	if s == "" {
		return
	}
	sc.add(s, tenantfile.Redacted)
	sc.add(url.QueryEscape(s), tenantfile.Redacted)
	sc.add(url.PathEscape(s), tenantfile.Redacted)
}

func (sc *scrubber) add(secret, repl string) {
	if secret == "" || secret == repl {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if _, ok := sc.pairs[secret]; !ok {
		sc.pairs[secret] = repl
		sc.r = nil
	}
}

// scrub returns s without the secrets known.
func (sc *scrubber) scrub(s string) string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.r == nil {
		// Longest first, so that a DSN goes whole before its password.
		secrets := slices.SortedFunc(maps.Keys(sc.pairs), func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
		args := make([]string, 0, 2*len(secrets))
		for _, k := range secrets {
			args = append(args, k, sc.pairs[k])
		}
		sc.r = strings.NewReplacer(args...)
	}
	return sc.r.Replace(s)
}
