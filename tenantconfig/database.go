package tenantconfig

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
)

// DataSource describes one database: a full DSN, or fields merged over the
// template's DSN.
type DataSource struct {
	// Driver must equal the template's driver when set.
	Driver string `json:"driver,omitempty"`
	// DSN, when set, is used as it is and the fields below are ignored.
	DSN string `json:"dsn,omitempty"`

	Host     string `json:"host,omitempty"`
	Port     int    `json:"port,omitempty"`
	Name     string `json:"name,omitempty"` // database name, or file for SQLite
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
	// Params are extra connection parameters (PostgreSQL run-time
	// parameters such as application_name or search_path).
	Params map[string]string `json:"params,omitempty"`
}

// Database is one tenant's database settings.
type Database struct {
	DataSource
	// Replicas are read replicas, each merged over the template like the
	// primary. Reads go to a replica chosen by the resolver's policy
	// (resolver.Config.Policy); writes and transactions go to the primary.
	Replicas []DataSource `json:"replicas,omitempty"`
	// Version orders changes: the resolver (resolver.Resolver.Set)
	// refuses a config older than the one it has. Zero means unversioned (always applied). Stores
	// keep versions beside configs (Record.Version), never in them.
	Version uint64 `json:"-"`
}

// Equal reports whether two configs describe the same databases,
// ignoring Version.
func (c Database) Equal(o Database) bool {
	return c.DataSource.equal(o.DataSource) &&
		slices.EqualFunc(c.Replicas, o.Replicas, DataSource.equal)
}

func (c DataSource) equal(o DataSource) bool {
	return c.Driver == o.Driver && c.DSN == o.DSN && c.Host == o.Host && c.Port == o.Port &&
		c.Name == o.Name && c.User == o.User && c.Password == o.Password && maps.Equal(c.Params, o.Params)
}

// LogValue implements slog.LogValuer without the DSN or the password.
func (c Database) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("driver", c.Driver),
		slog.String("host", c.Host),
		slog.String("name", c.Name),
		slog.Int("replicas", len(c.Replicas)),
		slog.Uint64("version", c.Version),
	)
}

// String describes the config without the DSN or the password.
func (c Database) String() string {
	dsn := ""
	if c.DSN != "" {
		dsn = " dsn=[redacted]"
	}
	return fmt.Sprintf("driver=%s host=%s port=%d name=%s user=%s%s replicas=%d version=%d",
		c.Driver, c.Host, c.Port, c.Name, c.User, dsn, len(c.Replicas), c.Version)
}

// Clone returns a deep copy of c.
func (c Database) Clone() Database {
	c.Params = maps.Clone(c.Params)
	if c.Replicas != nil {
		reps := make([]DataSource, len(c.Replicas))
		for i, r := range c.Replicas {
			r.Params = maps.Clone(r.Params)
			reps[i] = r
		}
		c.Replicas = reps
	}
	return c
}
