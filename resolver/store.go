package resolver

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// ServiceConfig is one tenant's configuration for one service, as the
// tenant config file and the config stores hold it.
type ServiceConfig struct {
	// ORM maps an ORM id ("gorm") to template aliases ("default") to the
	// tenant's database for that template.
	ORM map[string]map[string]TenantConfig `json:"orm_config"`
	// Cache maps a template cache alias to the tenant's cache.
	Cache map[string]CacheConfig `json:"cache_config,omitempty"`
}

// CacheConfig is a tenant's cache for one template cache alias.
type CacheConfig struct {
	URL string `json:"url"`
}

// Database returns the tenant's database for the template alias of orm,
// and whether there is one.
func (c ServiceConfig) Database(orm, alias string) (TenantConfig, bool) {
	db, ok := c.ORM[orm][alias]
	return db, ok
}

// Record is a tenant's configuration with the version the store gave it.
// Versions only grow: a store never gives a change a version lower than
// one it gave before.
type Record struct {
	Config  ServiceConfig
	Version uint64
}

// Op is what a Change does.
type Op uint8

const (
	// Put creates or replaces a tenant's configuration.
	Put Op = iota + 1
	// Delete removes a tenant.
	Delete
)

// Change is one tenant's change, applied by Store.Apply.
type Change struct {
	Op     Op
	Tenant string
	Config ServiceConfig // for Put
	// Create makes a Put fail with ErrExists if the tenant exists.
	Create bool
	// Existing makes a Put or Delete fail with
	// tenant.ErrUnknown if the tenant does not exist.
	Existing bool
	// IfVersion, when not zero, makes the change fail with ErrConflict
	// unless the tenant exists at exactly this version: a read, then a
	// conditional write, loses nobody else's change.
	IfVersion uint64
}

// ErrConflict is returned by Store.Apply for a Change whose IfVersion is
// not the tenant's current version: someone changed it meanwhile.
var ErrConflict = errors.New("resolver: tenant changed meanwhile")

// ErrExists is returned by Store.Apply for a Change with Create on a
// tenant that exists.
var ErrExists = errors.New("resolver: tenant exists")

// Store keeps the tenants of one service, shared by every instance of it.
// Implementations: resolver/memstore (in process) and
// resolver/redisstore. Every implementation passes the conformance suite
// in resolver/storetest.
type Store interface {
	// List returns the tenant ids, in no order.
	List(ctx context.Context) ([]string, error)
	// Get returns a tenant's record, or an error wrapping
	// tenant.ErrUnknown.
	Get(ctx context.Context, tenant string) (Record, error)
	// Snapshot returns every tenant's record, read at one instant.
	Snapshot(ctx context.Context) (map[string]Record, error)
	// Apply applies changes all or nothing, gives each a new version, and
	// announces them to watchers. It returns the versions given, in order.
	Apply(ctx context.Context, changes ...Change) ([]uint64, error)
}

// Event announces a change made by Store.Apply. It carries no
// configuration (no secret travels in it): watchers read the record.
type Event struct {
	Tenant  string
	Version uint64
	Deleted bool
}

// Watcher is implemented by stores that announce changes.
type Watcher interface {
	// Watch calls events for every change announced after Watch returns
	// with its subscription confirmed, and resync whenever announcements
	// may have been missed (a reconnection): the caller must then reload
	// a snapshot. ctx bounds the subscription only; the callbacks then run
	// on one goroutine, in order, until stop, which waits for it.
	Watch(ctx context.Context, events func(Event), resync func()) (stop func(), err error)
}

// Reviser is implemented by stores that can tell the last version they
// gave. A store whose revision is below a version it gave before has lost
// data (a Redis restarted without persistence, or flushed).
type Reviser interface {
	Revision(ctx context.Context) (uint64, error)
}

// UndecodableError is returned by Store.Snapshot, beside the records that
// did decode, when some tenants' configs do not: callers must leave those
// tenants as they are rather than take them for removed.
type UndecodableError struct {
	Tenants []string
	Err     error
}

// Error implements error.
func (e *UndecodableError) Error() string {
	return fmt.Sprintf("resolver: %d tenant configs do not decode: %v", len(e.Tenants), e.Err)
}

// Unwrap returns the decoding errors.
func (e *UndecodableError) Unwrap() error { return e.Err }

// Clone returns a deep copy of c.
func (c ServiceConfig) Clone() ServiceConfig {
	out := ServiceConfig{}
	if c.ORM != nil {
		out.ORM = make(map[string]map[string]TenantConfig, len(c.ORM))
		for orm, aliases := range c.ORM {
			m := make(map[string]TenantConfig, len(aliases))
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

// Clone returns a deep copy of c.
func (c TenantConfig) Clone() TenantConfig {
	c.Params = maps.Clone(c.Params)
	if c.Replicas != nil {
		reps := make([]DBConfig, len(c.Replicas))
		for i, r := range c.Replicas {
			r.Params = maps.Clone(r.Params)
			reps[i] = r
		}
		c.Replicas = reps
	}
	return c
}

// CheckChanges checks changes before a store applies them: valid tenant
// ids and known operations. Stores call it first.
func CheckChanges(changes []Change) error {
	if len(changes) == 0 {
		return fmt.Errorf("%w: no change", ErrInvalidConfig)
	}
	for i, c := range changes {
		if err := tenant.ValidateID(c.Tenant); err != nil {
			return fmt.Errorf("change %d: %w", i, err)
		}
		if c.Op != Put && c.Op != Delete {
			return fmt.Errorf("%w: change %d: unknown op %d", ErrInvalidConfig, i, c.Op)
		}
		if c.Op == Delete && c.Create {
			return fmt.Errorf("%w: change %d: Create on a Delete", ErrInvalidConfig, i)
		}
	}
	return nil
}

// Mapper is implemented by stores that keep the mapping metadata of the
// tenant config file: deployment keys (such as POSTGRES_URL) to config
// paths (such as orm_config.gorm.default.dsn), so that tools can set a
// tenant's values without knowing the layout.
type Mapper interface {
	Mapping(ctx context.Context) (map[string]string, error)
	SetMapping(ctx context.Context, mapping map[string]string) error
}
