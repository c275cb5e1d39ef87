// Package stack wires the example application's full stack, shared by
// the example server (its Redis mode) and the example worker: the
// tenants of a service in the Redis config store (package
// tenantconfig/redisstore), kept in a resolver over PostgreSQL by
// tenantsync; the application's *gorm.DB on its own database,
// DATABASE_URL, which is the reserved central database and the template
// every tenant's published database name is merged over (tenantctl
// create publishes a tenant as its database name alone); the plugin with
// the hospital models' strategy; and a Redis-backed, tenant-aware cache
// of each tenant's hospital list (package cacheaware), emptied when a
// hospital is written.
//
// Open migrates the central database's models, never the tenants':
// tenantctl create migrates a new tenant's database, and
// example/cmd/migrate all of them.
//
// Background tasks go through asynq on the same Redis, on the queue
// named after the service ([Stack.Queue]); [Stack.NewRedisClient] gives
// asynq a client of its own.
package stack
