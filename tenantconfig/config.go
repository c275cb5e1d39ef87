package tenantconfig

import "maps"

// The keys of Config.ORM that mean GORM and its default database.
const (
	// GORM is the ORM id of GORM in Config.ORM.
	GORM = "gorm"
	// DefaultAlias is the alias of the application's database in
	// Config.ORM[GORM], as Django names it: the one database the
	// application had before it served tenants.
	DefaultAlias = "default"
)

// Config is one tenant's configuration for one service, as the
// tenant config file and the config stores hold it.
type Config struct {
	// ORM maps an ORM id ("gorm") to template aliases ("default") to the
	// tenant's database for that template.
	ORM map[string]map[string]Database `json:"orm_config"`
	// Cache maps a template cache alias to the tenant's cache.
	Cache map[string]Cache `json:"cache_config,omitempty"`
}

// Cache is a tenant's cache for one template cache alias.
type Cache struct {
	URL string `json:"url"`
}

// Database returns the tenant's database for the template alias of orm,
// and whether there is one.
func (c Config) Database(orm, alias string) (Database, bool) {
	db, ok := c.ORM[orm][alias]
	return db, ok
}

// Clone returns a deep copy of c.
func (c Config) Clone() Config {
	out := Config{}
	if c.ORM != nil {
		out.ORM = make(map[string]map[string]Database, len(c.ORM))
		for orm, aliases := range c.ORM {
			m := make(map[string]Database, len(aliases))
			for alias, db := range aliases {
				m[alias] = db.Clone()
			}
			out.ORM[orm] = m
		}
	}
	if c.Cache != nil {
		out.Cache = maps.Clone(c.Cache)
	}
	return out
}
