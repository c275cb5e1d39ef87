// Package tenantsync keeps a resolver in step with a shared config store:
// tenants added, changed or removed in the store reach every running
// instance in milliseconds, and none is lost when announcements are.
//
// # Usage
//
//	store, err := redisstore.New(client, service)
//	syncer, err := tenantsync.Start(ctx, store, res, tenantsync.WithLogger(logger))
//	defer syncer.Close()
//
// A one-shot command (a migration, a report) loads the tenants once and
// keeps nothing running:
//
//	err := tenantsync.Load(ctx, store, res)
//
// # How
//
// Start subscribes to the store's announcements and waits for the
// confirmation, then loads a full snapshot, then applies announcements.
// A burst is coalesced: announcements waiting together are folded to one
// per tenant. A full resync runs on every re-subscription (the store
// reports those) and periodically (WithResyncInterval), which repairs
// anything pub/sub lost. Each change goes through the target's Set or
// Remove ([resolver.Resolver.Set]): new work uses the new pool, work in
// flight finishes on the old one.
//
// # Resync by digest
//
// A store that is a [tenantconfig.Digester] (redisstore, memstore) keeps
// a digest of its content: the XOR of every record's Sum, a hash of the
// tenant, its version and its encoded config. The Syncer keeps the Sum of
// each record it read, and the XOR of those its targets hold. A resync
// first reads the store's digest (a few bytes) and stops there when it
// is the one held: an idle resync reads nothing else. When they differ,
// it scans the store's Sums a thousand at a time and reads only the
// records whose Sums differ, and the tenants held that the scan did not
// give (removed, or changed meanwhile); never the whole store at once.
// A lost write whose version is given again to other content has another
// Sum, and is read and compared like any change (see below). A record the
// targets refused keeps no Sum: the digests differ, and each resync scans
// the Sums (about 60 bytes a tenant) and tries it again. A store that is
// not a Digester is read whole (Store.Snapshot) at each resync.
//
// The Sums are the store's writes' own: a record edited by hand, without
// its Sum, does not show in the digest. Every DefaultFullCheckInterval
// (WithFullCheckInterval) a periodic resync reads every record instead,
// and Syncer.ResyncFull does so at once. A resync reads a chunk (about a
// thousand tenants) at a time, and applies the announcements that
// arrived meanwhile between two chunks: a change waits for one chunk,
// not for the whole resync.
//
// # Never stay wrong
//
// After every resync the target holds exactly what the store holds:
// each tenant's database as the store names it now, and no tenant the
// store does not hold. A Syncer trusts what it reads from the store as
// it is now, never a version number alone: a store whose history is
// rewritten (a Redis failover that lost acknowledged writes) gives the
// lost changes' versions to other content. So:
//
//   - An announcement only says that a tenant changed: the tenant's
//     record is read, and the target made to hold exactly it. Duplicates
//     and reordered announcements cost one read and change nothing.
//   - A record is skipped only when both its version and its database
//     equal what was applied; a database that does not change is not
//     checked again (only its version moves).
//   - A resync compares every tenant the same way, and removes the
//     tenants the store no longer holds.
//   - A removed tenant is forgotten: whatever the store holds for it
//     next is applied, whatever its version.
//   - A record with the version applied and another database, or with a
//     lower version, shows a rewritten history: the store's record wins
//     (set unversioned when the target holds a newer version), it is
//     logged and counted (Stats.Corrected), and a full resync follows,
//     since a lost change may have touched tenants nobody announces
//     (a lost removal brings a tenant back).
//
// Between a rewrite and the next resync, a tenant whose lost change is
// not followed by an announcement (a lost removal, a lost update of a
// tenant nobody changes again) stays as it was applied: the store's
// re-subscription after a failover, or the periodic resync, repairs it.
//
// A config that does not validate, does not decode, or whose database
// cannot be opened (a change to a serving tenant is checked first when the
// target is a [Verifier], as the resolver is), leaves
// that tenant on its last good config; it is logged, counted in Stats,
// and tried again at the next resync. Other tenants are untouched.
//
// A store that comes back empty while tenants are known (Redis restarted
// without persistence, or flushed: its revision is below the versions of
// the tenants applied) changes nothing: it is logged as an error and
// counted, and the tenants stay. A store emptied on purpose (its revision
// says so) removes them. Nor does the first write after such a loss: a
// Digester's epoch ([tenantconfig.Digest].Epoch) tells a store that lost
// all its data and was written again, and while its revision is below
// the revision seen before the loss, or the newest version applied
// before if higher (tenants loaded again into it, at lower versions, do
// not lower that mark), a resync removes none of the
// tenants it lacks
// (logged as an error and counted the same way). A failover that lost a
// few writes keeps its epoch: the store as it is wins. When a store lost
// data and starts its versions again, what it holds wins over the newer
// versions applied before.
//
// # Beside the database
//
// The Target serves one database of each tenant's config. Whatever else
// the config holds (its caches, for cacheaware.Caches) reaches the
// [ConfigTarget]s given with WithConfigTargets, which follow the Target:
// they get a tenant's config once the Target holds its database, again
// when any part of it changes, and its removal.
//
// # Boot
//
// Start reads a Digester store in chunks of a thousand tenants, each set
// on the target as it is read (the new tenants of a chunk on one
// goroutine per CPU when the target is a *resolver.Resolver), so that the
// memory of the boot is bounded by a chunk, not by the store. It returns
// once every tenant is set: an application that serves after Start, the
// usual way, serves all of them or none. With 100,000 tenants on Redis
// that takes about 3.2 s of CPU, most of it the resolver checking each
// config (BenchmarkStoreSync in benchmarks/). Start fails, naming the
// service and the store, when the store holds no tenant for the service,
// unless WithAllowEmpty is given. The hooks of WithHooks then run in
// order.
//
// # Options
//
// Start and Load take options (WithDatabase, WithResyncInterval,
// WithApplyTimeout, WithAllowEmpty, WithHooks, WithConfigTargets,
// WithName, WithLogger, WithEventLag).
// Each checks its input: a bad one makes Start or Load return an error
// naming it, before anything is read or changed. For durations, 0 means
// the default (DefaultResyncInterval, DefaultApplyTimeout) and -1 means
// none; any other negative is refused.
//
// # Observability
//
// [Syncer.Stats] counts changes applied and refused, resyncs and
// rewritten histories; [WithEventLag] measures how long each announced
// change takes to be applied. The boot and each resync log one line
// ("tenants loaded from the store", "tenants resynced from the store":
// at Info for the boot and a resync that changed something, else at
// Debug) with the store, the tenants held and the counts added, changed,
// removed and refused; their tenants are set under
// [resolver.WithoutTenantLog], so that the resolver logs no line per
// tenant, and only their first ten refusals are logged one by one. An
// announced change is logged by the target (the resolver logs "tenant
// added", "tenant changed" or "tenant removed", with the tenant as the
// attribute "tenant").
//
// # Concurrency
//
// One goroutine applies changes; Close stops it and waits for it. Close
// may be called more than once. Stats and Resync are safe for concurrent
// use.
//
// # Errors
//
// Start and Load return [ErrEmptyStore] for a store with no tenant
// (unless WithAllowEmpty), and an error prefixed "tenantsync: " for a bad
// option, a store that cannot be read or a failed hook. Load joins the
// errors of the tenants it could not set.
package tenantsync
