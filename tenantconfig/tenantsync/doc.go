// Package tenantsync keeps a resolver in step with a shared config store:
// tenants added, changed or removed in the store reach every running
// instance in milliseconds, and none is lost when announcements are.
//
// # Usage
//
//	store, _ := redisstore.New(client, "hospital")
//	syncer, err := tenantsync.Start(ctx, store, res, tenantsync.Options{})
//	defer syncer.Close()
//
// # How
//
// Start subscribes to the store's announcements and waits for the
// confirmation, then loads a full snapshot, then applies announcements.
// Every tenant has a version; an announcement or snapshot entry older
// than the one applied is ignored, so duplicates and reordering do no
// harm. A burst is coalesced: announcements waiting together are folded
// to one per tenant. A full resync runs on every re-subscription (the
// store reports those) and every ResyncInterval, which repairs anything
// pub/sub lost. Each change goes through resolver.Set or Remove: new work
// uses the new pool, work in flight finishes on the old one.
//
// A config that does not validate, does not decode, or whose database
// cannot be opened (a change to a serving tenant is pinged first), leaves
// that tenant on its last good config; it is logged, counted in Stats,
// and tried again at the next resync. Other tenants are untouched.
//
// A store that comes back empty while tenants are known (Redis restarted
// without persistence, or flushed: its revision is below the versions
// applied) changes nothing: it is logged as an error and counted, and the
// tenants stay. A store emptied on purpose (its revision says so) removes
// them. When a store lost data and starts its versions again, what it
// holds wins over the newer versions applied before.
//
// # Boot
//
// Start fails, naming the service and the store, when the store holds no
// tenant for the service, unless Options.AllowEmpty is set. Options.Hooks
// then run in order.
//
// # Concurrency
//
// One goroutine applies changes; Close stops it and waits for it.
package tenantsync
