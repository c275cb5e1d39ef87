package main

import (
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

// TestRedisModeUsage: in the Redis mode, a DATABASE_URL that is not a
// PostgreSQL URL, or a REDIS_URL that does not parse, is usage (2),
// with a message naming it and never quoting it, and nothing is served.
func TestRedisModeUsage(t *testing.T) {
	const secret = "s3cretpw"
	for _, c := range []struct{ redis, db, want string }{
		{"redis://127.0.0.1:1/0", "sqlite:central.db", "DATABASE_URL must be a postgres:// URL"},
		{"redis://127.0.0.1:1/0", "postgres://u:" + secret + "@127.0.0.1:99999/central", "DATABASE_URL"},
		{"http://:" + secret + "@127.0.0.1:1/0", "postgres://127.0.0.1:1/central", "REDIS_URL"},
	} {
		env := func(k string) string {
			switch k {
			case "REDIS_URL":
				return c.redis
			case "DATABASE_URL":
				return c.db
			}
			return ""
		}
		var out testenv.Buffer
		served := false
		code := run(t.Context(), []string{"-addr", "127.0.0.1:0"}, env, &out, func(string) { served = true })
		if code != exitUsage || served || !strings.Contains(out.String(), c.want) || strings.Contains(out.String(), secret) {
			t.Errorf("%s %s: %d served=%v %q", c.redis, c.db, code, served, out.String())
		}
	}
}
