package tenantsetup

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/redisurl"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantfile"
)

// openStore returns the store Settings.Tenants names, and the Redis
// client to close with it (nil for the in-process stores).
func openStore(ctx context.Context, s Settings, tpl resolver.Template) (tenantconfig.Store, redis.UniversalClient, error) {
	switch spec := s.Tenants; {
	case spec == "":
		return nil, nil, fmt.Errorf("%w: %s is not set: give a Redis URL, a tenant config file or single:ID", ErrConfig, EnvTenants)
	case strings.HasPrefix(spec, "redis://") || strings.HasPrefix(spec, "rediss://"):
		return redisStore(s)
	case strings.HasPrefix(spec, singlePrefix):
		st, err := singleStore(ctx, strings.TrimPrefix(spec, singlePrefix), tpl.DSN)
		return st, nil, err
	default:
		st, err := fileStore(ctx, spec, s.Service, tpl.Driver)
		return st, nil, err
	}
}

// redisStore is the Redis config store of the service.
func redisStore(s Settings) (tenantconfig.Store, redis.UniversalClient, error) {
	if s.Service == "" {
		return nil, nil, fmt.Errorf("%w: %s is not set: a Redis store holds the tenants of several services", ErrConfig, EnvService)
	}
	client, err := redisurl.NewClient(s.Tenants)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrConfig, EnvTenants, err)
	}
	st, err := redisstore.New(client, s.Service)
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("%w: %w", ErrConfig, err), client.Close())
	}
	return st, client, nil
}

// singleStore holds one tenant on the template's database itself: its
// DSN is the template's.
func singleStore(ctx context.Context, id, dsn string) (tenantconfig.Store, error) {
	if err := tenant.ValidateID(id); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, EnvTenants, err)
	}
	cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{DSN: dsn}}},
	}}
	return memStore(ctx, map[string]tenantconfig.Config{id: cfg})
}

// fileStore holds the tenants of the service in a tenant config file.
func fileStore(ctx context.Context, path, service, driver string) (tenantconfig.Store, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, EnvTenants, err)
	}
	f, err := tenantfile.Parse(data, tenantfile.WithDrivers(driver))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, path, err)
	}
	if service == "" {
		services := map[string]bool{}
		for _, byService := range f.Tenants {
			for name := range byService {
				services[name] = true
			}
		}
		if len(services) != 1 {
			return nil, fmt.Errorf("%w: %s is not set and %s has %d services (%s): name one", ErrConfig, EnvService, path, len(services), strings.Join(slices.Sorted(maps.Keys(services)), ", "))
		}
		for name := range services {
			service = name
		}
	}
	tenants := f.Service(service)
	if len(tenants) == 0 {
		return nil, fmt.Errorf("%w: %s has no tenant for service %q", ErrConfig, path, service)
	}
	return memStore(ctx, tenants)
}

// memStore is an in-process store holding tenants.
func memStore(ctx context.Context, tenants map[string]tenantconfig.Config) (tenantconfig.Store, error) {
	st := memstore.New()
	changes := make([]tenantconfig.Change, 0, len(tenants))
	for _, id := range slices.Sorted(maps.Keys(tenants)) {
		changes = append(changes, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: tenants[id]})
	}
	if _, err := st.Apply(ctx, changes...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return st, nil
}
