package tenantchi

import (
	"context"
	"maps"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// maxCachedTenants bounds ctxCache. Past it, tenants not cached yet get
// a context of their own on each request: one allocation more, nothing
// else.
const maxCachedTenants = 1024

// ctxCache holds, for each tenant seen, tenant.NewContext(background,
// id), so that a request's context with the tenant costs one allocation
// (a tenantCtx) instead of two (tenant.NewContext's context and the id
// boxed in it). Readers never lock; a new tenant copies the map, at
// most maxCachedTenants times over the cache's life.
type ctxCache struct {
	m  atomic.Pointer[map[string]context.Context]
	mu sync.Mutex // serialises writers
}

// withTenant returns parent carrying the tenant id, as
// tenant.NewContext(parent, id) does.
func (c *ctxCache) withTenant(parent context.Context, id string) context.Context {
	if m := c.m.Load(); m != nil {
		if t, ok := (*m)[id]; ok {
			return &tenantCtx{Context: parent, tenant: t}
		}
		if len(*m) >= maxCachedTenants {
			return tenant.NewContext(parent, id)
		}
	}
	t := c.add(id)
	if t == nil {
		return tenant.NewContext(parent, id)
	}
	return &tenantCtx{Context: parent, tenant: t}
}

// add caches the tenant's context and returns it, or returns nil when
// the cache is full. Only registered tenants reach it.
func (c *ctxCache) add(id string) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[string]context.Context
	if p := c.m.Load(); p != nil {
		old = *p
	}
	if t, ok := old[id]; ok {
		return t
	}
	if len(old) >= maxCachedTenants {
		return nil
	}
	id = strings.Clone(id) // not the request's Host it may be cut from
	t := tenant.NewContext(context.Background(), id)
	m := make(map[string]context.Context, len(old)+1)
	maps.Copy(m, old)
	m[id] = t
	c.m.Store(&m)
	return t
}

// tenantCtx is a request's context with a tenant: the values of tenant
// (a context made by tenant.NewContext on context.Background, shared by
// every request of that tenant) before those of the request's context,
// as if tenant.NewContext had been called on the request's context. The
// deadline, cancellation and error are the request context's.
type tenantCtx struct {
	context.Context
	tenant context.Context
}

// Value implements context.Context.
func (c *tenantCtx) Value(key any) any {
	if v := c.tenant.Value(key); v != nil {
		return v
	}
	return c.Context.Value(key)
}
