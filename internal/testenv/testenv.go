// Package testenv gives tests the servers that scripts/test.sh starts:
// PostgreSQL and Redis on loopback. Without them, tests that need them
// skip and say why, unless TENANTPLUGIN_INTEGRATION=1, when they fail.
package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

// Environment variables set by scripts/services.sh.
const (
	EnvPG          = "TENANTPLUGIN_PG_URL"
	EnvPG2         = "TENANTPLUGIN_PG2_URL"
	EnvRedis       = "TENANTPLUGIN_REDIS_URL"
	EnvIntegration = "TENANTPLUGIN_INTEGRATION"
)

// Required reports whether missing servers are failures.
func Required() bool { return os.Getenv(EnvIntegration) == "1" }

func need(tb testing.TB, env string) string {
	tb.Helper()
	v := os.Getenv(env)
	if v != "" {
		return v
	}
	if Required() {
		tb.Fatalf("%s is not set but %s=1: run scripts/test.sh", env, EnvIntegration)
	}
	tb.Skipf("%s not set: needs a real server (scripts/test.sh starts one)", env)
	return ""
}

// PostgresURL returns the admin URL of the test PostgreSQL server.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	return need(tb, EnvPG)
}

// Postgres2URL returns the admin URL of a second PostgreSQL server, for
// tenants spread over several servers.
func Postgres2URL(tb testing.TB) string {
	tb.Helper()
	return need(tb, EnvPG2)
}

// RedisURL returns the URL of the test Redis server.
func RedisURL(tb testing.TB) string {
	tb.Helper()
	return need(tb, EnvRedis)
}

var seq atomic.Int64

// Databases creates n empty PostgreSQL databases and drops them when the
// test ends. It returns their names.
func Databases(tb testing.TB, n int) []string {
	tb.Helper()
	return DatabasesOn(tb, PostgresURL(tb), n)
}

// DatabasesOn is Databases on the server of adminURL (such as
// [Postgres2URL]'s).
func DatabasesOn(tb testing.TB, adminURL string, n int) []string {
	tb.Helper()
	admin := adminOn(tb, adminURL)
	prefix := fmt.Sprintf("tp_%d_%d", os.Getpid()%100000, seq.Add(1))
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s_%03d", prefix, i)
		if _, err := admin.Exec("CREATE DATABASE " + names[i]); err != nil {
			tb.Fatalf("create database %s: %v", names[i], err)
		}
	}
	tb.Cleanup(func() {
		for _, name := range names {
			if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
				tb.Errorf("drop database %s: %v", name, err)
			}
		}
	})
	return names
}

// Admin returns a pool on the server's postgres database, closed when the
// test ends.
func Admin(tb testing.TB) *sql.DB {
	tb.Helper()
	return adminOn(tb, PostgresURL(tb))
}

// adminOn is Admin on the server of adminURL.
func adminOn(tb testing.TB, adminURL string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("pgx", adminURL)
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(2)
	tb.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	return db
}

// DSN returns the admin URL with its database replaced by name.
func DSN(tb testing.TB, name string) string {
	tb.Helper()
	u, err := url.Parse(PostgresURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + strings.TrimPrefix(name, "/")
	return u.String()
}
