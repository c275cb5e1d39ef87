// Package e2e holds end-to-end tests and benchmarks of the Redis config
// store, tenantsync and tenantctl working together across processes:
// several internal/cmd/instance processes share a Redis server of the
// test's own (which the tests kill and restart) and real PostgreSQL
// databases, and example/cmd/tenantctl changes the tenants.
//
// The tests need PostgreSQL (TENANTPLUGIN_PG_URL, see internal/testenv)
// and a redis-server binary (TENANTPLUGIN_REDIS_SERVER, or redis-server
// on PATH); without them they skip, or fail when
// TENANTPLUGIN_INTEGRATION=1. The package has no code of its own.
package e2e
