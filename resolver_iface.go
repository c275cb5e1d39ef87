package tenantplugin

import (
	"context"

	"gorm.io/gorm"
)

// Access tells a [Resolver] how a statement will use the pool it asks for.
type Access uint8

const (
	// AccessWrite asks for the tenant's primary database. Transactions
	// always use it. It is the zero Access.
	AccessWrite Access = 0
	// AccessRead marks a statement that only reads: the resolver may
	// answer with a read replica.
	AccessRead Access = 1 << 0
	// AccessPrepared asks for a pool that runs statements as prepared
	// statements cached for that pool alone (GORM's PrepareStmt).
	AccessPrepared Access = 1 << 1
)

// Resolver gives the plugin a tenant's connection pool. The resolver
// package provides the standard implementation.
//
// ConnPool is called for every statement routed to a tenant, from many
// goroutines at once, so it must be safe for concurrent use and fast when
// the tenant's pool is already open. The tenant id it receives has passed
// [tenant.ValidateID]. For an id it does not know it must return an error
// wrapping [tenant.ErrUnknown]. The pool it returns for [AccessWrite] must
// implement gorm.ConnPoolBeginner, and the transactions it begins must be
// [TenantTx] values: GORM begins its implicit write transactions on that
// pool, and the plugin refuses statements on any transaction it cannot
// attribute to a tenant. Every pool must stay usable after the tenant's
// configuration changes: in-flight work finishes on the old database.
type Resolver interface {
	ConnPool(ctx context.Context, tenant string, access Access) (gorm.ConnPool, error)
}

// ReplicaResolver is a [Resolver] that can tell whether any tenant has
// read replicas. Telling a statement that only reads from one that
// writes costs an allocation and a look at the statement's clauses: with
// a ReplicaResolver that reports false the plugin skips it and asks for
// [AccessWrite] pools only; with any other Resolver it always tells
// them apart and sets [AccessRead]. HasReplicas is called for every
// statement and must be fast and safe for concurrent use.
type ReplicaResolver interface {
	Resolver
	HasReplicas() bool
}

// DialectorResolver is a [Resolver] that opens tenant pools the way the
// *gorm.DB's dialector opens the application's own pool (protocol, time
// zone, connection hooks). The plugin's Initialize calls UseDialector
// once with the *gorm.DB's dialector, and db.Use fails with its error.
type DialectorResolver interface {
	Resolver
	UseDialector(d gorm.Dialector) error
}

// TenantTx is a transaction begun by a [Resolver]'s pool: it names the
// tenant whose database it is on, so that the plugin keeps its statements
// there and refuses those of other tenants.
type TenantTx interface {
	gorm.Tx
	TxTenant() string
}
