package memstore

import (
	"context"
	"maps"
	"sync"

	"github.com/tenantrouter/tenantplugin/resolver"
)

// Store holds tenant configs in memory. It is safe for concurrent use.
type Store struct {
	mu      sync.RWMutex
	tenants map[string]resolver.TenantConfig
}

// New returns a store holding a copy of tenants.
func New(tenants map[string]resolver.TenantConfig) *Store {
	return &Store{tenants: maps.Clone(tenants)}
}

// Tenants implements resolver.Source.
func (s *Store) Tenants(context.Context) (map[string]resolver.TenantConfig, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return maps.Clone(s.tenants), nil
}

// Put sets a tenant's config.
func (s *Store) Put(id string, cfg resolver.TenantConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tenants == nil {
		s.tenants = make(map[string]resolver.TenantConfig)
	}
	s.tenants[id] = cfg
}

// Delete removes a tenant.
func (s *Store) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tenants, id)
}

var _ resolver.Source = (*Store)(nil)
