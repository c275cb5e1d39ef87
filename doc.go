// Package tenantplugin turns a single-tenant GORM application into a
// multi-tenant one with one database per tenant: a GORM plugin sends each
// statement and transaction to the database of the tenant in its
// context, or to a reserved database shared by all tenants.
//
// # Usage
//
// Keep opening the *gorm.DB as before: its database becomes the reserved
// database [DefaultAlias]. Give the plugin a [Resolver] (package resolver
// provides one) and put the tenant in each request's context:
//
//	db, err := gorm.Open(postgres.Open(os.Getenv("DATABASE_URL")), &gorm.Config{})
//	res, err := resolver.New(resolver.Config{
//		Template: resolver.Template{Driver: "postgres", DSN: os.Getenv("DATABASE_URL")},
//		Drivers:  []dbdriver.Driver{pgdriver.New()},
//	})
//	err = db.Use(tenantplugin.New(tenantplugin.Config{Resolver: res}))
//
//	ctx = tenant.NewContext(ctx, "acme")
//	db.WithContext(ctx).Find(&patients) // acme's database
//
// # Packages
//
// Import [tenant] to put a tenant in a context (no GORM needed), this
// package to install the plugin, package resolver for tenant pools (with
// resolver/pgdriver or resolver/sqlitedriver; resolver/dbdriver is the
// driver contract), and package reserved for strategies that keep central
// tables in a reserved database. A tenant's configuration and the stores
// that share it between instances are in package tenantconfig and below it:
// tenantconfig/redisstore (Redis), tenantconfig/memstore (in process),
// tenantconfig/tenantsync (keeps a resolver in step with a store) and
// tenantconfig/tenantfile (the tenant config file). Around them: migrate
// runs migrations and other work over every tenant, chi (package
// tenantchi) finds the tenant of an HTTP request, cacheaware scopes cache
// keys by tenant, otel (package tenantotel) exports OpenTelemetry metrics
// ([Plugin.Stats]: statements routed by route, refused by reason) and
// puts the tenant on GORM's statement spans.
//
// Every way GORM reaches a database is routed: finishers (Create, Find,
// First, Update, Delete, ...), Raw and Exec, Row, Rows, Scan, Pluck,
// Count, associations and Preload, the migrator, GORM's implicit write
// transactions, and Transaction, Begin, Commit, Rollback, SavePoint and
// RollbackTo. Sessions with PrepareStmt get one statement cache per
// physical pool, so a statement prepared for one tenant never serves
// another.
//
// # Transactions
//
// Begin and Transaction run no GORM callbacks; the plugin installs a
// routing pool under the *gorm.DB that begins each transaction on the
// database of its context (or of a reserved alias chosen before Begin
// with reserved.Use). A transaction never switches database: a statement
// inside it whose context names another tenant, or that a strategy or
// clause sends to another database, fails with [ErrCrossDatabase] and is
// not sent.
//
// # Reserved databases and strategies
//
// A reserved database is one shared by all tenants, as Django's
// tenant_router calls it ("central", "public" or "shared" in other
// frameworks): the application's own database, by default under
// [DefaultAlias], and any other in [Config.ReservedPools], each under
// an alias. [ReservedRoute] names one as a statement's route, and package
// reserved provides the clause and strategies that choose it.
// [Config.Strategies] decide, statement by statement, between the tenant
// and a reserved alias (see package reserved for ready-made ones); the
// first that decides wins, as with Django's database routers. They are
// asked about every relation a statement names: its model's table or its
// Table(), its joins, and the tables its SQL names (Raw, Exec, Where,
// Select and subqueries), read by a lexer, not a regular expression. All
// must agree, else the statement fails with [ErrCrossDatabase]; SQL that
// cannot be read fails with [ErrUnreadableSQL]. [Config.NoTextRouting]
// turns text reading off. Migrations run whole on the database of their
// models.
//
// # Transactions of the application's own
//
// The plugin refuses statements on transactions and connections it did
// not begin (db.Connection, a *sql.Tx set as the pool): it cannot tell
// which database they are on. [AdoptTx] hands such a transaction over,
// with the application's word for its database.
//
// # Errors
//
// The plugin fails closed. A statement with no tenant and no reserved
// route returns [tenant.ErrMissing]; an unregistered tenant [tenant.ErrUnknown];
// a malformed id [tenant.ErrInvalidID]; an undefined alias
// [ErrUnknownAlias]. In every case no SQL reaches any database. Errors
// about a tenant are [*tenant.Error] values naming it.
//
// # Concurrency
//
// A *gorm.DB with the plugin is safe for concurrent use, as before. The
// plugin holds no per-request state: the tenant travels in the context
// only.
//
// # Limits
//
// db.DB() returns the pool the *gorm.DB was opened with, the central
// database, since GORM gives it no context: use the resolver's Lease for
// a tenant's *sql.DB, and its statistics for tenant pools. Inside a
// transaction, db.DB() and db.Connection fail with [ErrBypassedRouting].
// db.Connection pins a connection of the central database; its
// statements fail with [ErrBypassedRouting], so for a pinned tenant
// connection use a transaction. db.Dialector is wrapped, to check
// savepoints and route migrations: [OriginalDialector] returns the one
// the *gorm.DB was opened with. All tenants of one *gorm.DB share its SQL
// dialect.
package tenantplugin
