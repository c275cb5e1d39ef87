package tenantfile

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Deploy returns a copy of base with each deployment value set at the
// config path that mapping (a file's MappingMetadata) gives its key:
// with mapping {"POSTGRES_URL": "orm_config.gorm.default.dsn"}, the value
// of POSTGRES_URL becomes the dsn of alias default of ORM gorm, which is
// created if base lacks it. Ports are parsed as integers.
//
// The result must be a valid service config, as in a file. Otherwise,
// or for an invalid mapping, a key that mapping lacks, or a bad value,
// Deploy returns a [*ValidationError] wrapping [ErrInvalid], with paths
// into the service config ($.orm_config.gorm.default.dsn) or into the
// mapping ($.mapping_metadata.POSTGRES_URL). Its messages name the
// keys, never the values. base is not modified.
func Deploy(mapping map[string]string, base tenantconfig.Config, values map[string]string) (tenantconfig.Config, error) {
	c := checker{}
	targets := make(map[string]target, len(mapping))
	byPath := make(map[string]string, len(mapping))
	for _, key := range slices.Sorted(maps.Keys(mapping)) {
		p := child(child("$", "mapping_metadata"), key)
		if key == "" {
			c.addf(p, "empty deployment key")
		}
		t, ok := parseTarget(mapping[key])
		if !ok {
			c.addf(p, "not a config path: want %s", targetGrammar)
			continue
		}
		if other, ok := byPath[mapping[key]]; ok {
			c.addf(p, "same config path as %q", other)
		}
		byPath[mapping[key]] = key
		targets[key] = t
	}

	out := base.Clone()
	for _, key := range slices.Sorted(maps.Keys(values)) {
		t, ok := targets[key]
		if !ok {
			if _, mapped := mapping[key]; !mapped {
				c.addf("$", "unknown deployment key %q (not in mapping_metadata)", key)
			}
			continue
		}
		if msg := set(&out, t, values[key]); msg != "" {
			c.addf(t.path(), "%s: %s", key, msg)
		}
	}
	if len(c.problems) == 0 {
		c.problems = validService(out)
	}
	if len(c.problems) > 0 {
		return tenantconfig.Config{}, &ValidationError{Problems: c.problems}
	}
	return out, nil
}

// set sets v at t in cfg, or says what is wrong with v (without v).
func set(cfg *tenantconfig.Config, t target, v string) string {
	if v == "" {
		return "empty value"
	}
	if t.cache {
		if !validURL(v) {
			return "not a URL (want scheme://host...)"
		}
		if cfg.Cache == nil {
			cfg.Cache = make(map[string]tenantconfig.Cache)
		}
		cfg.Cache[t.alias] = tenantconfig.Cache{URL: v}
		return ""
	}
	port := 0
	if t.field == "port" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return "port must be an integer from 1 to 65535"
		}
		port = p
	}
	if cfg.ORM == nil {
		cfg.ORM = make(map[string]map[string]tenantconfig.Database)
	}
	if cfg.ORM[t.orm] == nil {
		cfg.ORM[t.orm] = make(map[string]tenantconfig.Database)
	}
	tc := cfg.ORM[t.orm][t.alias]
	switch t.field {
	case "dsn":
		tc.DSN = v
	case "host":
		tc.Host = v
	case "port":
		tc.Port = port
	case "name":
		tc.Name = v
	case "user":
		tc.User = v
	case "password":
		tc.Password = v
	case "driver":
		tc.Driver = v
	}
	cfg.ORM[t.orm][t.alias] = tc
	return ""
}

// validService checks a service config as Parse would check it in a
// file, versions aside, with paths from $ (the service config).
func validService(sc tenantconfig.Config) []Problem {
	sc = sc.Clone()
	if sc.ORM == nil { // "no ORM configured" rather than "got null"
		sc.ORM = map[string]map[string]tenantconfig.Database{}
	}
	for _, aliases := range sc.ORM {
		for alias, tc := range aliases {
			tc.Version = 0
			aliases[alias] = tc
		}
	}
	data, err := json.Marshal(sc)
	if err != nil { // not reached: the types always marshal
		return []Problem{{Path: "$", Message: "cannot encode the service config"}}
	}
	root, p := decode(data)
	if p != nil {
		return []Problem{*p}
	}
	c := checker{}
	c.service(root, "$")
	return c.problems
}
