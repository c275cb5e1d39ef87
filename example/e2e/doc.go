// Package e2e holds the end-to-end tests of the example application's
// full stack: the example server (its Redis mode), the example worker
// and tenantctl, built and run as processes against a real PostgreSQL
// server and real Redis servers (TENANTPLUGIN_PG_URL,
// TENANTPLUGIN_REDIS_URL, and a redis-server binary,
// TENANTPLUGIN_REDIS_SERVER or redis-server on PATH, for a Redis of the
// test's own that it restarts). Without them the tests skip, unless
// TENANTPLUGIN_INTEGRATION=1, when they fail.
package e2e
