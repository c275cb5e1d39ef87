package memstore

import (
	"context"
	"maps"
	"sync"

	"github.com/tenantrouter/tenantplugin/resolver"
)

// Source holds tenant configs for one template in memory: the simplest
// resolver.Source. It is safe for concurrent use.
type Source struct {
	mu      sync.RWMutex
	tenants map[string]resolver.TenantConfig
}

// NewSource returns a source holding a copy of tenants.
func NewSource(tenants map[string]resolver.TenantConfig) *Source {
	return &Source{tenants: maps.Clone(tenants)}
}

// Tenants implements resolver.Source.
func (s *Source) Tenants(context.Context) (map[string]resolver.TenantConfig, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return maps.Clone(s.tenants), nil
}

// Put sets a tenant's config.
func (s *Source) Put(id string, cfg resolver.TenantConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tenants == nil {
		s.tenants = make(map[string]resolver.TenantConfig)
	}
	s.tenants[id] = cfg
}

// Delete removes a tenant.
func (s *Source) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tenants, id)
}

var _ resolver.Source = (*Source)(nil)
