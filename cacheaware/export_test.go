package cacheaware

import (
	"time"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// CloseDue runs one pass of the janitor now, in the caller's goroutine.
func CloseDue(c *Caches) { c.closeDue(time.Now()) }

// tenantCaches is a tenant config with one template alias.
func tenantCaches(alias, url string) tenantconfig.Config {
	return tenantconfig.Config{Cache: map[string]tenantconfig.Cache{alias: {URL: url}}}
}
