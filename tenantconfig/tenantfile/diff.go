package tenantfile

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// EditKind is what an [Edit] does to a tenant.
type EditKind uint8

const (
	// EditAdded is a tenant that only the new configs (to) have.
	EditAdded EditKind = iota + 1
	// EditChanged is a tenant whose config differs.
	EditChanged
	// EditRemoved is a tenant that only the old configs (from) have.
	EditRemoved
)

// String returns "added", "changed" or "removed".
func (k EditKind) String() string {
	switch k {
	case EditAdded:
		return "added"
	case EditChanged:
		return "changed"
	case EditRemoved:
		return "removed"
	}
	return "EditKind(" + strconv.Itoa(int(k)) + ")"
}

// Edit is one tenant's difference between two sets of configs: what
// applying a file would do to it. To apply it, make the
// [tenantconfig.Change] it calls for.
type Edit struct {
	Tenant string
	Kind   EditKind
	// Old is the zero config for EditAdded, New for EditRemoved.
	Old, New tenantconfig.Config
}

// Diff compares two sets of configs for one service (tenant to config,
// as [File.Service] returns them), for a dry run before applying a
// file. Versions are ignored, and so are empty maps and lists: configs
// that describe the same databases and caches are equal. The edits are
// sorted by tenant.
func Diff(from, to map[string]tenantconfig.Config) []Edit {
	var out []Edit
	for tenant, o := range from {
		n, ok := to[tenant]
		switch {
		case !ok:
			out = append(out, Edit{Tenant: tenant, Kind: EditRemoved, Old: o})
		case !maps.Equal(flatten(o), flatten(n)):
			out = append(out, Edit{Tenant: tenant, Kind: EditChanged, Old: o, New: n})
		}
	}
	for tenant, n := range to {
		if _, ok := from[tenant]; !ok {
			out = append(out, Edit{Tenant: tenant, Kind: EditAdded, New: n})
		}
	}
	slices.SortFunc(out, func(a, b Edit) int { return strings.Compare(a.Tenant, b.Tenant) })
	return out
}

// String describes the edit, one line for the tenant and, for an
// added or changed tenant, one line per setting, with secrets redacted
// (see [Redact]):
//
//	~ tenant-1.localhost
//	    ~ orm_config.gorm.default.host: "db1" -> "db2"
//	    ~ orm_config.gorm.default.password: changed (hidden)
//	    + cache_config.default.url = "redis://:[redacted]@cache:6379/1"
//
// A removed tenant is one line: "- tenant-2.localhost".
func (e Edit) String() string {
	var b strings.Builder
	switch e.Kind {
	case EditAdded:
		b.WriteString("+ " + e.Tenant)
		shown := flatten(Redact(e.New))
		for _, p := range slices.Sorted(maps.Keys(shown)) {
			b.WriteString("\n    + " + p + " = " + strconv.Quote(shown[p]))
		}
	case EditRemoved:
		b.WriteString("- " + e.Tenant)
	default:
		b.WriteString("~ " + e.Tenant)
		oldRaw, newRaw := flatten(e.Old), flatten(e.New)
		oldShown, newShown := flatten(Redact(e.Old)), flatten(Redact(e.New))
		paths := slices.Sorted(maps.Keys(oldRaw))
		for p := range newRaw {
			if _, ok := oldRaw[p]; !ok {
				paths = append(paths, p)
			}
		}
		slices.Sort(paths)
		for _, p := range paths {
			o, inOld := oldRaw[p]
			n, inNew := newRaw[p]
			switch {
			case !inOld:
				b.WriteString("\n    + " + p + " = " + strconv.Quote(newShown[p]))
			case !inNew:
				b.WriteString("\n    - " + p)
			case o == n:
			case oldShown[p] == newShown[p]:
				b.WriteString("\n    ~ " + p + ": changed (hidden)")
			default:
				b.WriteString("\n    ~ " + p + ": " + strconv.Quote(oldShown[p]) + " -> " + strconv.Quote(newShown[p]))
			}
		}
	}
	return b.String()
}

// flatten lists a config's settings by path (orm_config.gorm.default.dsn),
// leaving out empty values and versions.
func flatten(c tenantconfig.Config) map[string]string {
	m := make(map[string]string)
	for orm, aliases := range c.ORM {
		for alias, tc := range aliases {
			p := child(child("orm_config", orm), alias)
			flattenDB(m, p, tc.DataSource)
			for i, r := range tc.Replicas {
				flattenDB(m, index(child(p, "replicas"), i), r)
			}
		}
	}
	for alias, cc := range c.Cache {
		if cc.URL != "" {
			m[child(child("cache_config", alias), "url")] = cc.URL
		}
	}
	return m
}

func flattenDB(m map[string]string, p string, db tenantconfig.DataSource) {
	put := func(field, v string) {
		if v != "" {
			m[child(p, field)] = v
		}
	}
	put("driver", db.Driver)
	put("dsn", db.DSN)
	put("host", db.Host)
	if db.Port != 0 {
		put("port", strconv.Itoa(db.Port))
	}
	put("name", db.Name)
	put("user", db.User)
	put("password", db.Password)
	for k, v := range db.Params {
		m[child(child(p, "params"), k)] = v
	}
}
