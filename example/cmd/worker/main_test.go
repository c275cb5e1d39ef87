package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCommandLine: -h is help (0); a stray argument, a bad
// -concurrency, a missing REDIS_URL or DATABASE_URL, or a DATABASE_URL
// that is not PostgreSQL's is usage (2), with a message naming it, and
// nothing is started.
func TestCommandLine(t *testing.T) {
	env := func(vars ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(vars); i += 2 {
				if vars[i] == k {
					return vars[i+1]
				}
			}
			return ""
		}
	}
	both := env("REDIS_URL", "redis://127.0.0.1:1/0", "DATABASE_URL", "postgres://127.0.0.1:1/central")
	for _, c := range []struct {
		args   []string
		getenv func(string) string
		code   int
		want   string
	}{
		{[]string{"-h"}, env(), exitOK, "-concurrency"},
		{[]string{"extra"}, both, exitUsage, `unexpected argument "extra"`},
		{[]string{"-concurrency", "0"}, both, exitUsage, "-concurrency 0"},
		{nil, env("DATABASE_URL", "postgres://127.0.0.1:1/central"), exitUsage, "REDIS_URL is not set"},
		{nil, env("REDIS_URL", "redis://127.0.0.1:1/0"), exitUsage, "DATABASE_URL is not set"},
		{nil, env("REDIS_URL", "redis://127.0.0.1:1/0", "DATABASE_URL", "sqlite:x.db"), exitUsage, "postgres://"},
		{nil, env("REDIS_URL", "http://x", "DATABASE_URL", "postgres://127.0.0.1:1/central"), exitUsage, "REDIS_URL"},
	} {
		var out bytes.Buffer
		ready := false
		code := run(t.Context(), c.args, c.getenv, &out, func() { ready = true })
		if code != c.code || ready || !strings.Contains(out.String(), c.want) {
			t.Errorf("%v: %d ready=%v %q, want %d and %q", c.args, code, ready, out.String(), c.code, c.want)
		}
	}
}
