package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantrouter/tenantplugin/example"
	"github.com/tenantrouter/tenantplugin/internal/redisurl"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantfile"
)

// entry is a tenant as its source gives it: its database, or why it
// has none the command can use.
type entry struct {
	db  tenantconfig.Database
	err error
}

// tenants are the tenants of a source, by id, and a name for the
// source in messages.
type tenants struct {
	where string
	byID  map[string]entry
}

// readTenants reads the tenants once: every tenant of the config store
// for the service, or those of the embedded tenant config file, each on
// a SQLite file under the data directory. It opens no database.
func readTenants(ctx context.Context, s settings) (tenants, error) {
	if s.embedded() {
		return embeddedTenants(s)
	}
	client, err := redisurl.NewClient(s.redisURL) // errors never hold a password
	if err != nil {
		return tenants{}, usagef("%v", err)
	}
	defer client.Close()
	store, err := redisstore.New(client, s.service, redisstore.WithPrefix(s.prefix))
	if err != nil {
		return tenants{}, usagef("%v", err)
	}
	return storeTenants(ctx, store, store.String())
}

// storeTenants reads every tenant of store at one instant. A tenant
// whose config does not decode, or has no database for GORM's default
// alias, is kept with its error.
func storeTenants(ctx context.Context, store tenantconfig.Store, where string) (tenants, error) {
	snap, err := store.Snapshot(ctx)
	var ue *tenantconfig.UndecodableError
	if errors.As(err, &ue) {
		err = nil
	}
	if err != nil {
		return tenants{}, fmt.Errorf("reading the tenants of %s: %w", where, err)
	}
	t := tenants{where: where, byID: make(map[string]entry, len(snap))}
	if ue != nil {
		for _, id := range ue.Tenants {
			t.byID[id] = entry{err: errors.New("its config in the store does not decode")}
		}
	}
	for id, rec := range snap {
		db, ok := rec.Config.Database(tenantconfig.GORM, tenantconfig.DefaultAlias)
		if !ok {
			t.byID[id] = entry{err: fmt.Errorf("its config has no orm_config.%s.%s", tenantconfig.GORM, tenantconfig.DefaultAlias)}
			continue
		}
		db.Version = rec.Version
		t.byID[id] = entry{db: db}
	}
	if len(t.byID) == 0 {
		return tenants{}, fmt.Errorf("%s holds no tenant: nothing migrated (check -service and -prefix; tenantctl load puts tenants there)", where)
	}
	return t, nil
}

// embeddedTenants are the tenants of the embedded tenant config file
// for the service, each on its SQLite file.
func embeddedTenants(s settings) (tenants, error) {
	f, err := tenantfile.Parse(example.TenantConfig())
	if err != nil {
		return tenants{}, err
	}
	cfgs := f.Service(s.service)
	t := tenants{where: "the embedded " + tenantfile.FileName, byID: make(map[string]entry, len(cfgs))}
	if len(cfgs) == 0 {
		return tenants{}, usagef("%s configures no tenant for service %q", t.where, s.service)
	}
	files := sqliteFiles{s.dataDir, s.readOnly()}
	for id := range cfgs {
		ds, err := files.tenant(id)
		t.byID[id] = entry{db: tenantconfig.Database{DataSource: ds}, err: err}
	}
	return t, nil
}

// targets returns the ids to migrate, sorted: those asked for, or every
// one. An id asked for that the source does not hold is a usage error
// naming it.
func (t tenants) targets(asked []string) ([]string, error) {
	if len(asked) == 0 {
		ids := make([]string, 0, len(t.byID))
		for id := range t.byID {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids, nil
	}
	var unknown []string
	for _, id := range asked {
		if _, ok := t.byID[id]; !ok {
			unknown = append(unknown, fmt.Sprintf("%q", id))
		}
	}
	if len(unknown) > 0 {
		return nil, usagef("--tenant: unknown tenant %s: not in %s; nothing migrated", strings.Join(unknown, ", "), t.where)
	}
	ids := slices.Clone(asked)
	slices.Sort(ids)
	return ids, nil
}
