// Package redisstore keeps a service's tenants in Redis and announces
// every change on a pub/sub channel: the [tenantconfig.Store] and
// [tenantconfig.Watcher] shared by every instance of a service.
//
// # Usage
//
//	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // or a Sentinel or Cluster client
//	store, err := redisstore.New(client, service, redisstore.WithLogger(logger))
//	_, err = store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "acme", Config: cfg})
//
// # Keys
//
// All keys of a service share one Redis Cluster hash slot, so that every
// change is one atomic script: "{<prefix>:<service>}:configs" (hash:
// tenant → encoded config), "{<prefix>:<service>}:versions" (hash:
// tenant → version) and "{<prefix>:<service>}:revision" (the last version
// given). Changes are announced on "{<prefix>:<service>}:changes" with the
// tenant and the version only: no configuration, and so no secret, ever
// travels on the channel. Several services share one Redis safely.
//
// # Delivery
//
// Redis pub/sub is at most once: messages published while a subscriber
// is reconnecting are lost. Watch reports every re-subscription through
// its resync callback so that the caller reloads a snapshot; callers also
// resync on a timer (tenantconfig/tenantsync does both). While no message
// comes, the watcher pings Redis every ping interval (WithPingInterval),
// so that a connection that stopped answering is replaced.
//
// # Durability
//
// Run Redis with an append-only file (appendonly yes, appendfsync
// everysec) so that a restart keeps the tenants; a Redis restarted empty
// is reported loudly by tenantconfig/tenantsync, which keeps the tenants it
// knows, and is filled again with tenantctl load.
//
// # Options
//
// New takes options (WithPrefix, WithCodec, WithPingInterval,
// WithLogger), each checking its input: New returns the first bad one's
// error, naming it. Defaults are DefaultPrefix, JSON and
// DefaultPingInterval.
//
// # Concurrency
//
// A Store is safe for concurrent use. It owns no connection: the client
// is the caller's to close, after every watch is stopped.
//
// # Errors
//
// Apply returns the errors of the [tenantconfig.Store] contract; other
// errors are prefixed "redisstore: " and never quote a config.
package redisstore
