package provision

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// get reads the tenant's record; published is false when the store does
// not hold it.
func (p *Provisioner) get(ctx context.Context, id string) (rec tenantconfig.Record, published bool, err error) {
	rec, err = p.cfg.Store.Get(ctx, id)
	switch {
	case err == nil:
		return rec, true, nil
	case errors.Is(err, tenant.ErrUnknown):
		return tenantconfig.Record{}, false, nil
	}
	return tenantconfig.Record{}, false, err
}

// checkUnused fails with ErrInUse when the store publishes the database
// for another tenant than id. A store whose records do not all decode
// fails it too: it cannot tell.
func (p *Provisioner) checkUnused(ctx context.Context, id, name string) error {
	snap, err := p.cfg.Store.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("provision: reading the store to check that no other tenant uses database %q: %w", name, err)
	}
	var users []string
	for other, rec := range snap {
		if other == id {
			continue
		}
		if db, ok := p.tenantDatabase(rec); ok {
			if n, ok := p.cfg.Server.NameOf(db); ok && n == name {
				users = append(users, other)
			}
		}
	}
	if len(users) > 0 {
		sort.Strings(users)
		return fmt.Errorf("%w: database %q is tenant %q's", ErrInUse, name, users[0])
	}
	return nil
}

// publish puts the tenant in the store with db, unless it is there
// already with db. It returns the record's version.
func (p *Provisioner) publish(ctx context.Context, id string, db tenantconfig.Database) (uint64, error) {
	db.Version = 0
	cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{p.cfg.ORM: {p.cfg.Alias: db}}}
	vs, err := p.cfg.Store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: cfg, Create: true})
	if err == nil {
		return vs[0], nil
	}
	if !errors.Is(err, tenantconfig.ErrExists) {
		return 0, fmt.Errorf("provision: publishing: %w", err)
	}
	// Published meanwhile (another run, or by hand): fine if the same.
	rec, published, gerr := p.get(ctx, id)
	if gerr != nil {
		return 0, fmt.Errorf("provision: publishing: %w", gerr)
	}
	if cur, ok := p.tenantDatabase(rec); published && ok && cur.Equal(db) {
		return rec.Version, nil
	}
	return 0, fmt.Errorf("%w: published meanwhile by someone else; nothing published", ErrExists)
}

// unpublish removes the tenant from the store, if the record is still
// the one read (version), so that a change made meanwhile is not lost.
func (p *Provisioner) unpublish(ctx context.Context, id string, version uint64) error {
	_, err := p.cfg.Store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: id, IfVersion: version})
	switch {
	case err == nil, errors.Is(err, tenant.ErrUnknown):
		return nil
	case errors.Is(err, tenantconfig.ErrConflict):
		if _, published, gerr := p.get(ctx, id); gerr == nil && !published {
			return nil // removed meanwhile
		}
		return fmt.Errorf("provision: the tenant changed in the store meanwhile, nothing deleted: run Delete again: %w", err)
	}
	return fmt.Errorf("provision: unpublishing: %w", err)
}
