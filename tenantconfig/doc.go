// Package tenantconfig is what a tenant's configuration is, and the
// contract of the stores that keep it. It imports nothing but the
// standard library and package tenant, so that stores, tools and
// drivers need no GORM.
//
// # Usage
//
// A tenant's [Config] holds, for each ORM and template alias, the
// [Database] the tenant uses: a [DataSource] (a full DSN, or fields merged
// over the application's own DSN) and its read replicas. The resolver
// serves Config.ORM[GORM][DefaultAlias]:
//
//	cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
//		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Name: "acme"}}},
//	}}
//	versions, err := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "acme", Config: cfg})
//
// A [Store] keeps the tenants of one service, shared by every instance of
// it; stores that announce changes are [Watcher]s too, and stores that
// keep a [Digest] of their content (the XOR of each record's [Sum]) are
// [Digester]s, which a reader checks in a few bytes. The packages
// below implement and use the contract:
//
//   - memstore: a store in process (tests, single-process applications);
//   - redisstore: the store on Redis (standalone, Sentinel or Cluster);
//   - tenantsync: loads a resolver from a store, once or continuously;
//   - tenantfile: reads and checks the tenant config file;
//   - storetest: the conformance suite every store passes.
//
// # Errors
//
// Store.Apply returns [ErrConflict], [ErrExists], [ErrInvalidChange], or an
// error wrapping [tenant.ErrUnknown], each in a [*tenant.Error] naming the
// tenant when it is about one; Store.Get returns tenant.ErrUnknown for a
// tenant it does not hold. A record that does not decode is reported in
// an [*UndecodableError].
//
// # Concurrency
//
// The types here are values. Stores must be safe for concurrent use.
package tenantconfig
