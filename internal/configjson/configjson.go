// Package configjson decodes a tenant's config from the JSON the store's
// codec writes, several times faster than encoding/json, which reads
// each of them by reflection.
//
// Decode reads the common form only: the field names as Marshal writes
// them, strings without escapes or bytes outside printable ASCII, ports
// in plain digits, no null, no field given twice. For anything else it
// reports false and the caller decodes with encoding/json, so that every
// input gets encoding/json's result. A fuzz test holds it to that.
package configjson

import (
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Decode decodes data into c, which must be the zero Config, and
// reports whether it could. When it reports false, c is left zero.
func Decode(data []byte, c *tenantconfig.Config) bool {
	if c.ORM != nil || c.Cache != nil {
		return false
	}
	d := decoder{data: data}
	var out tenantconfig.Config
	if !d.config(&out) {
		return false
	}
	d.space()
	if d.pos != len(d.data) {
		return false
	}
	*c = out
	return true
}

// decoder reads data from pos; each method reports false on input it
// does not read, which ends the decoding.
type decoder struct {
	data []byte
	pos  int
}

func (d *decoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// byte consumes c, after white space.
func (d *decoder) byte(c byte) bool {
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes.
func (d *decoder) str() (string, bool) {
	b, ok := d.raw()
	return string(b), ok
}

// raw reads a string of printable ASCII without escapes and returns its
// bytes, which alias data.
func (d *decoder) raw() ([]byte, bool) {
	if !d.byte('"') {
		return nil, false
	}
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return d.data[start : d.pos-1], true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return nil, false
		}
		d.pos++
	}
	return nil, false
}

// key returns a map's key as a string: the usual ones without a copy.
func key(b []byte) string {
	switch string(b) {
	case tenantconfig.GORM:
		return tenantconfig.GORM
	case tenantconfig.DefaultAlias:
		return tenantconfig.DefaultAlias
	}
	return string(b)
}

// uint reads a port: digits, without a leading zero unless it is 0,
// small enough for an int on every platform.
func (d *decoder) uint() (int, bool) {
	d.space()
	start := d.pos
	n := 0
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		n = n*10 + int(d.data[d.pos]-'0')
		d.pos++
	}
	digits := d.pos - start
	if digits == 0 || digits > 9 || digits > 1 && d.data[start] == '0' {
		return 0, false
	}
	if d.pos < len(d.data) {
		switch d.data[d.pos] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return n, true
}

// object reads an object, calling field for each key; keys must be
// distinct.
func (d *decoder) object(field func(key []byte) bool) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	var buf [10][]byte
	seen := buf[:0]
	for {
		key, ok := d.raw()
		if !ok || !d.byte(':') {
			return false
		}
		for _, k := range seen {
			if string(k) == string(key) {
				return false
			}
		}
		seen = append(seen, key)
		if !field(key) {
			return false
		}
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

func (d *decoder) config(c *tenantconfig.Config) bool {
	return d.object(func(k []byte) bool {
		switch string(k) {
		case "orm_config":
			c.ORM = map[string]map[string]tenantconfig.Database{}
			return d.object(func(orm []byte) bool {
				aliases := map[string]tenantconfig.Database{}
				c.ORM[key(orm)] = aliases
				return d.object(func(alias []byte) bool {
					var db tenantconfig.Database
					if !d.database(&db) {
						return false
					}
					aliases[key(alias)] = db
					return true
				})
			})
		case "cache_config":
			c.Cache = map[string]tenantconfig.Cache{}
			return d.object(func(alias []byte) bool {
				var cache tenantconfig.Cache
				ok := d.object(func(k []byte) bool {
					if string(k) != "url" {
						return false
					}
					var ok bool
					cache.URL, ok = d.str()
					return ok
				})
				c.Cache[key(alias)] = cache
				return ok
			})
		}
		return false
	})
}

func (d *decoder) database(db *tenantconfig.Database) bool {
	return d.object(func(k []byte) bool {
		if string(k) == "replicas" {
			return d.replicas(&db.Replicas)
		}
		return d.field(&db.DataSource, k)
	})
}

func (d *decoder) replicas(out *[]tenantconfig.DataSource) bool {
	if !d.byte('[') {
		return false
	}
	*out = []tenantconfig.DataSource{}
	if d.byte(']') {
		return true
	}
	for {
		var ds tenantconfig.DataSource
		if !d.object(func(k []byte) bool { return d.field(&ds, k) }) {
			return false
		}
		*out = append(*out, ds)
		if d.byte(']') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// field reads the value of a DataSource's field key.
func (d *decoder) field(ds *tenantconfig.DataSource, k []byte) bool {
	var ok bool
	switch string(k) {
	case "driver":
		ds.Driver, ok = d.str()
	case "dsn":
		ds.DSN, ok = d.str()
	case "host":
		ds.Host, ok = d.str()
	case "port":
		ds.Port, ok = d.uint()
	case "name":
		ds.Name, ok = d.str()
	case "user":
		ds.User, ok = d.str()
	case "password":
		ds.Password, ok = d.str()
	case "params":
		ds.Params = map[string]string{}
		ok = d.object(func(k []byte) bool {
			v, ok := d.str()
			ds.Params[string(k)] = v
			return ok
		})
	}
	return ok
}
