// Package resolver maps tenants to connection pools for the tenantplugin
// GORM plugin: lazily opened, capped, budgeted, evicted when idle, and
// swapped without failing work in flight when a tenant's config changes.
//
// # Usage
//
// The application's existing database settings are the [Template]; each
// tenant's [tenantconfig.Database] gives a full DSN or fields merged over it:
//
//	res, err := resolver.New(resolver.Config{
//		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: os.Getenv("DATABASE_URL")},
//		Drivers:  []dbdriver.Driver{pgdriver.New()},
//	})
//	defer res.Close()
//	err = res.Set(ctx, "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: "acme"}})
//	err = db.Use(tenantplugin.New(tenantplugin.Config{Resolver: res}))
//
// [Resolver.Set] and [Resolver.Remove] change tenants at run time. A
// [tenantconfig.Store] shares tenants between the instances of a service;
// the package tenantconfig/tenantsync keeps a resolver in step with one.
// [Resolver.Stats] returns a [PoolStats] snapshot of the pools.
//
// # Pools
//
// A tenant's pool opens on its first statement. At most [Config.MaxPools]
// are open; opening one more closes the least recently used idle pool.
// All tenant pools share a budget of [Config.MaxConns] connections,
// counted until the server has ended their sessions; while it is spent,
// requests queue for their pool's connections, and a pool that needs one
// takes another pool's idle connection, or the next one another pool
// returns. Pools unused for [Config.IdleTimeout] close. Each statement
// leases the pool it runs on, and a transaction holds its lease until it
// ends: at Commit or Rollback, or when its context ends (database/sql
// rolls it back then, and net/http cancels a request's context when its
// handler returns). A pool that is evicted, replaced by Set or removed
// closes only when its last lease is released, in a goroutine of the
// resolver's, never under a lock. Replicas take reads (chosen by a
// [dbresolver.Policy], called from every reading goroutine at once), the
// primary takes writes and transactions.
//
// # Limits
//
// Every limit of [Config] and [PoolSettings] follows one rule: zero means
// the default ([DefaultMaxPools], [DefaultMaxConns] and the other
// Default constants), -1 turns the limit off (no pool cap, no budget, pools or
// connections never closed for idleness, no statement cache, unlimited
// connections per pool, none kept idle), and any other negative value
// makes [New] fail with [ErrInvalidConfig] naming the field.
//
// # A tenant's *sql.DB
//
// db.DB() on a *gorm.DB with the plugin returns the central database
// (GORM gives it no context), and fails inside a tenant's transaction.
// Tools that need a tenant's *sql.DB (goose, golang-migrate) take it
// from [Resolver.Lease]: it holds the pool open until Release or until
// its context ends.
//
// # Concurrency
//
// A Resolver is safe for concurrent use. Its one goroutine, which closes
// idle pools, stops in [Resolver.Close], as do the goroutines that close
// pools; a second Close returns nil. A [Config.Policy] must be safe for
// concurrent use.
//
// # Errors
//
// Unknown tenants give [tenant.ErrUnknown]; malformed ids
// [tenant.ErrInvalidID]; bad settings [ErrInvalidConfig]; out-of-date
// versions [ErrStaleConfig]; a database that serves another tenant
// [ErrDatabaseShared] (unless [Config.AllowSharedDatabases]); a pool cap
// that stays full past the
// context's deadline [ErrPoolsExhausted]; a budget that stays spent
// [ErrConnBudget]; any method but Close after Close [ErrClosed]. Errors
// never quote a DSN or a password, and neither do logs.
package resolver
