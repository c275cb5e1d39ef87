// Package pgdriver opens PostgreSQL tenant databases for a resolver, with
// pgx (the driver gorm.io/driver/postgres uses).
//
// # Usage
//
//	res, err := resolver.New(resolver.Config{
//		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: os.Getenv("DATABASE_URL")},
//		Drivers:  []dbdriver.Driver{pgdriver.New()},
//	})
//
// A tenant's DSN is used as it is; otherwise its host, port, name, user,
// password and params (run-time parameters) replace the template's. With
// a new host, the template's fallback hosts are dropped. Param names are
// case-insensitive, as PostgreSQL's are: a tenant's "timezone" replaces
// the template's "TimeZone".
//
// # Settings from the GORM dialector
//
// Installing the tenantplugin plugin calls
// [resolver.Resolver.UseDialector] with the *gorm.DB's dialector, which
// configures this driver through its WithDialector method (the driver
// [New] returns is a [resolver.DialectorDriver]): tenant pools then open
// the way gorm.io/driver/postgres opens the application's own pool.
// What that means depends on how the dialector opens it:
//
//   - From its DSN (postgres.Open, or postgres.New without Conn or
//     DriverName): PreferSimpleProtocol sets pgx's
//     QueryExecModeSimpleProtocol (needed behind PgBouncer in
//     transaction mode), OptionOpenDB is passed to every tenant's
//     connector, and GORM's TimeZone rule (below) applies to every
//     tenant's DSN.
//   - From an existing pool (Conn), or with DriverName "pgx" or "pgx/v5":
//     GORM applies none of these settings, and neither does this driver.
//     Tenant pools are what pgx makes of their DSN; put settings such as
//     default_query_exec_mode=simple_protocol in the template DSN.
//   - With another DriverName: WithDialector returns an error, and db.Use
//     fails. Tenant pools use pgx and cannot go through another
//     database/sql driver; give the resolver a [dbdriver.Driver] of your
//     own (one without WithDialector is left as it is).
//   - Any other dialector, such as a SQLite one: an error naming it.
//
// The TimeZone rule is GORM's: it looks for time_zone=, TimeZone= or
// timezone= in the text of the DSN, up to the next &, space or the end
// (so a zone in a URL is written unescaped: TimeZone=Asia/Shanghai). The
// driver looks in the tenant's own DSN or, for a tenant given as fields,
// in its params (timezone in any case, or time_zone), then in the
// template DSN. With a zone, the session's timezone parameter is set to
// it and timestamp (without time zone) values are read as wall-clock
// times in that zone, as GORM reads them; without one, pgx reads them as
// UTC. An unknown zone is an error when the tenant is set, not at each
// connection. As in GORM, the zone's connect hook replaces an
// OptionAfterConnect of the application's. The hook GORM adds to the
// dialector's OptionOpenDB for the application's own DSN is not copied:
// each tenant's DSN decides.
//
// A driver from New alone, never configured, opens pools as pgx's
// sql.Open("pgx", dsn) would.
//
// # PgBouncer and other poolers
//
// PgBouncer in transaction (or statement) pool mode hands a server
// session to another client after each transaction: a statement
// prepared on it is then missing for its client ("prepared statement
// ... does not exist") or in the way of another ("... already exists").
// Connections through it must keep no prepared statement, which pgx
// does in its simple_protocol and exec modes (PreferSimpleProtocol:
// true on the dialector, or default_query_exec_mode in the DSN; a
// tenant given as fields may set it in its params too).
//
// A database whose connections use one of these modes gets no
// statement cache in the resolver: sessions with PrepareStmt run their
// statements unprepared, as with the resolver's StmtCacheSize -1
// (connectors implement [dbdriver.UnpreparedConnector]).
//
// A DSN, or a tenant's params, may say how the database is reached with
// pgbouncer=transaction, statement or session (read by this driver,
// never sent to the server; a tenant given as fields inherits the
// template's). With transaction or statement, the tenant gets no
// statement cache, and a config whose connections would keep prepared
// statements (pgx's default cache_statement, or describe_exec, which
// prepares in one round trip and executes in the next) is refused: Set
// returns an error wrapping [ErrPreparedThroughPooler] and
// resolver.ErrInvalidConfig, naming the remedy. cache_describe is
// accepted (each round trip stands alone), as are simple_protocol and
// exec. Without the parameter, nothing tells a bouncer from a server:
// pgx's default mode through one fails at the first statement that
// lands on another server session.
//
// # Errors
//
// Errors never quote the DSN: pgx's own message keeps the connection
// string, so only its reason is kept.
package pgdriver
