package tenantconfig

import (
	"context"
	"errors"
	"fmt"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// Record is a tenant's configuration with the version the store gave it.
// A store's versions grow with every change it keeps; a store that loses
// changes (a Redis failover loses acknowledged writes) may give their
// numbers again to other changes. Consumers compare content, never a
// version alone (tenantsync does).
type Record struct {
	Config  Config
	Version uint64
}

// ChangeKind is what a Change does.
type ChangeKind uint8

const (
	// PutTenant creates or replaces a tenant's configuration.
	PutTenant ChangeKind = iota + 1
	// DeleteTenant removes a tenant.
	DeleteTenant
)

// Change is one tenant's change, applied by Store.Apply.
type Change struct {
	Kind   ChangeKind
	Tenant string
	Config Config // for PutTenant
	// Create makes a PutTenant fail with ErrExists if the tenant exists.
	Create bool
	// Existing makes a PutTenant or DeleteTenant fail with
	// tenant.ErrUnknown if the tenant does not exist.
	Existing bool
	// IfVersion, when not zero, makes the change fail with ErrConflict
	// unless the tenant exists at exactly this version: a read, then a
	// conditional write, loses nobody else's change.
	IfVersion uint64
}

// ErrConflict is returned by Store.Apply for a Change whose IfVersion is
// not the tenant's current version: someone changed it meanwhile.
var ErrConflict = errors.New("tenantconfig: tenant changed meanwhile")

// ErrExists is returned by Store.Apply for a Change with Create on a
// tenant that exists.
var ErrExists = errors.New("tenantconfig: tenant exists")

// ErrInvalidChange is returned by Store.Apply, before anything is
// applied, for changes that CheckChanges refuses.
var ErrInvalidChange = errors.New("tenantconfig: invalid change")

// Store keeps the tenants of one service, shared by every instance of it.
// Implementations: tenantconfig/memstore (in process) and
// tenantconfig/redisstore. Every implementation passes the conformance suite
// in tenantconfig/storetest.
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
	return fmt.Sprintf("tenantconfig: %d tenant configs do not decode: %v", len(e.Tenants), e.Err)
}

// Unwrap returns the decoding errors.
func (e *UndecodableError) Unwrap() error { return e.Err }

// CheckChanges checks changes before a store applies them: valid tenant
// ids and known operations. Stores call it first.
func CheckChanges(changes []Change) error {
	if len(changes) == 0 {
		return fmt.Errorf("%w: no change", ErrInvalidChange)
	}
	for i, c := range changes {
		if err := tenant.ValidateID(c.Tenant); err != nil {
			return fmt.Errorf("change %d: %w", i, err)
		}
		if c.Kind != PutTenant && c.Kind != DeleteTenant {
			return fmt.Errorf("%w: change %d: unknown kind %d", ErrInvalidChange, i, c.Kind)
		}
		if c.Kind == DeleteTenant && c.Create {
			return fmt.Errorf("%w: change %d: Create on a DeleteTenant", ErrInvalidChange, i)
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
