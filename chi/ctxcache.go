package tenantchi

import (
	"context"
	"maps"
	"net/http"
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

// tenantRequest is a request with the tenant in its context, allocated
// as one: the context and the request's copy.
type tenantRequest struct {
	ctx tenantCtx
	req http.Request
}

// withTenant returns a shallow copy of r whose context carries the
// tenant id, as r.WithContext(tenant.NewContext(r.Context(), id))
// does. For a cached tenant the copy and its context are one
// allocation: http.Request.WithContext is inlined here, so the request
// it allocates stays on the stack and is copied into the tenantRequest.
func (c *ctxCache) withTenant(r *http.Request, id string) *http.Request {
	if m := c.m.Load(); m != nil {
		if t, ok := (*m)[id]; ok {
			tr := &tenantRequest{ctx: tenantCtx{Context: r.Context(), tenant: t}}
			tr.req = *r.WithContext(&tr.ctx)
			return &tr.req
		}
		if len(*m) >= maxCachedTenants {
			return r.WithContext(tenant.NewContext(r.Context(), id))
		}
	}
	t := c.add(id)
	if t == nil {
		return r.WithContext(tenant.NewContext(r.Context(), id))
	}
	return r.WithContext(&tenantCtx{Context: r.Context(), tenant: t})
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
