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
// given), "{<prefix>:<service>}:sums" (hash: tenant → the record's
// [tenantconfig.Sum]) and "{<prefix>:<service>}:digest" (the XOR of the
// Sums, with the revision it is of), and "{<prefix>:<service>}:epoch"
// (set by the store's first write: see [tenantconfig.Digest].Epoch;
// "kept" when the store already held data, written by a version without
// the epoch).
// Changes are announced on
// "{<prefix>:<service>}:changes" with the
// tenant and the version only: no configuration, and so no secret, ever
// travels on the channel. Several services share one Redis safely.
//
// # Delivery
//
// Redis pub/sub is at most once: messages published while a subscriber
// is reconnecting are lost. Watch reports every re-subscription through
// its resync callback so that the caller reloads a snapshot; callers also
// resync on a timer (tenantconfig/tenantsync does both).
//
// A subscription can also stay connected and receive nothing: a half-open
// connection, a master demoted by a Sentinel failover (it still answers
// PING while the writers moved on), a replica cut off from its master.
// So every ping interval (WithPingInterval) the watcher publishes a nonce
// through the client, in a script as Apply publishes, which only a master
// runs, on a channel of its own in the store's slot; if the nonce has not
// come back on the subscription one interval later, the watcher subscribes
// again on a new connection and resyncs. A subscription that stopped
// receiving is so replaced within two ping intervals. The probe is bounded
// by the ping interval when the client has ContextTimeoutEnabled, else by
// its ReadTimeout and WriteTimeout: leave those finite.
//
// # Reads
//
// Every read (List, Get, Snapshot, Revision, Mapping, ScanSums, Records)
// runs in MULTI/EXEC (Digest is a script),
// which go-redis sends to the master even for clients that read from
// replicas (ReadOnly, RouteByLatency, RouteRandomly): a replica's answer
// may lag behind the announcement that asked for it. The subscription of a
// Cluster client that reads from replicas is made on the master of the
// store's slot too. A redis.NewFailoverClient with ReplicaOnly sends
// everything, writes included, to a replica, and cannot be told apart
// from a master client: do not give it to New (Apply fails with READONLY
// and reads lag); use redis.NewFailoverClusterClient to read from
// replicas.
//
// # Digest
//
// The store is a [tenantconfig.Digester]: Apply keeps each tenant's Sum
// (SHA-1 of the tenant, its version and its encoded config) and their
// XOR, the digest, in the same script as the change, so that a reader
// compares digests (a few bytes: Digest) and reads tenants only when
// they differ: ScanSums (HSCAN of the Sums, a thousand at a time) and
// Records (HMGET of the configs and versions, a thousand at a time). A
// lost write whose version is given again to other content has another
// Sum: the digest tells it.
//
// A store written by an older version of this package has no digest, and
// one changed since by such a version has a stale one (of an older
// revision): Digest then computes every Sum and the digest again from
// the configs, in one script. Scripts run alone, so no Apply interleaves
// and the digest is exact; the script blocks Redis meanwhile, for a time
// that grows with the tenants (2 to 3.6 s for 100,000 on a busy two-core
// machine: see BenchmarkStoreSync in benchmarks/), once, and again after
// each change by an older version: upgrade every writer (tenantctl
// included) together. Until then Apply leaves a stale digest as it is.
//
// # Sentinel and Cluster
//
// When an operation or the watcher meets a network error (connection
// refused or reset, timeout, end of file) on a Cluster client
// (redis.NewClusterClient, redis.NewFailoverClusterClient), the store asks
// it to reload its slot map at once (ClusterClient.ReloadState): go-redis
// reloads it by itself only on MOVED or ASK replies or every
// ClusterStateReloadInterval (60 s by default), and a dead master sends
// no reply. The settings to choose:
//
//   - Cluster servers: cluster-node-timeout bounds how long a dead master
//     holds its slots (its default, 15 s, is the outage); 1000 to 2000 ms
//     on a reliable network.
//   - Cluster client: the defaults work (ReadOnly and the route options
//     are safe, see Reads). ClusterStateReloadInterval may stay 60 s: the
//     store reloads on errors. Keep DialTimeout short (1 to 2 s): a
//     master whose host is gone does not refuse connections, and every
//     attempt waits that long.
//   - Sentinel servers: down-after-milliseconds is the time to notice a
//     dead master (1000 to 5000 ms); appendonly yes on every node.
//   - Sentinel client: redis.NewFailoverClient with the master name and
//     every sentinel's address (SentinelPassword if the sentinels need
//     one), not ReplicaOnly. go-redis moves its connections to the new
//     master when a sentinel announces it; the watcher's probe moves the
//     subscription, within two ping intervals: choose WithPingInterval for
//     the delay you accept (the default, 500 ms, gives about 1 s).
//   - Both: finite ReadTimeout and WriteTimeout (the defaults), or
//     ContextTimeoutEnabled, so that a dead node fails an operation
//     instead of holding it.
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
