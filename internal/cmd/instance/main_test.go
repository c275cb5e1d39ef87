package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// The instance against real servers is tested end to end in
// internal/e2e; these tests need none.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestUsage(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	t.Setenv("DATABASE_URL", "")
	for name, args := range map[string][]string{
		"no redis":        {"-pg", "postgres://127.0.0.1/app", "-service", "app"},
		"no service":      {"-redis", "redis://127.0.0.1:6379/0", "-pg", "postgres://127.0.0.1/app"},
		"no pg":           {"-redis", "redis://127.0.0.1:6379/0", "-service", "app"},
		"argument":        {"-redis", "redis://127.0.0.1:6379/0", "-pg", "postgres://127.0.0.1/app", "extra"},
		"negative load":   {"-redis", "redis://127.0.0.1:6379/0", "-pg", "postgres://127.0.0.1/app", "-load", "-1"},
		"negative resync": {"-redis", "redis://127.0.0.1:6379/0", "-pg", "postgres://127.0.0.1/app", "-service", "app", "-resync-interval", "-1s"},
		"unknown flag":    {"-frobnicate"},
		"empty service":   {"-redis", "redis://127.0.0.1:6379/0", "-pg", "postgres://127.0.0.1/app", "-service", ""},
		"bad load value":  {"-load", "many"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), args, &out, &errOut)
			if !errors.Is(err, errUsage) {
				t.Fatalf("run(%q) = %v, want a usage error", args, err)
			}
			if out.Len() != 0 {
				t.Errorf("stdout: %q", out.String())
			}
		})
	}
}

func TestEnvironmentDefaults(t *testing.T) {
	t.Setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
	t.Setenv("DATABASE_URL", "postgres://127.0.0.1/app")
	o, err := parseFlags([]string{"-service", "app"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.redisURL != "redis://127.0.0.1:6379/0" || o.pgURL != "postgres://127.0.0.1/app" || o.service != "app" || o.listen != "127.0.0.1:0" || o.load != 0 {
		t.Errorf("defaults: %+v", o)
	}
}

// TestBadURLsNotQuoted: URLs that do not parse are refused before any
// connection, and the messages never quote them (they hold passwords).
func TestBadURLsNotQuoted(t *testing.T) {
	const pw = "Pw-not-in-messages-3141"
	good := map[string]string{"-redis": "redis://127.0.0.1:6379/0", "-pg": "postgres://127.0.0.1/app"}
	for name, bad := range map[string][2]string{
		"pg escape":    {"-pg", "postgres://u:" + pw + "@127.0.0.1:5432/db%zz"},
		"pg port":      {"-pg", "postgres://u:" + pw + "@127.0.0.1:99999999/db"},
		"pg keywords":  {"-pg", "host=127.0.0.1 password=" + pw + " port=notaport"},
		"redis db":     {"-redis", "redis://:" + pw + "@127.0.0.1:6379/x"},
		"redis scheme": {"-redis", "http://:" + pw + "@127.0.0.1:6379/0"},
		"redis url":    {"-redis", "redis://:" + pw + "@[::1/0"},
		"sentinel":     {"-redis", "redis://:" + pw + "@127.0.0.1:26379/0?master_name=m&password=" + pw + "&frob=1"},
		"cluster":      {"-redis", "redis://:" + pw + "@127.0.0.1:7000?addr=127.0.0.1:7001&addr=" + pw},
	} {
		t.Run(name, func(t *testing.T) {
			flags := map[string]string{"-redis": good["-redis"], "-pg": good["-pg"], bad[0]: bad[1]}
			args := []string{"-service", "app", "-redis", flags["-redis"], "-pg", flags["-pg"]}
			var out, errOut bytes.Buffer
			err := run(context.Background(), args, &out, &errOut)
			if err == nil {
				t.Fatal("run succeeded")
			}
			if !strings.Contains(err.Error(), "invalid "+bad[0]+" URL") {
				t.Errorf("error %q does not name %s", err, bad[0])
			}
			for _, s := range []string{err.Error(), out.String(), errOut.String()} {
				if strings.Contains(s, pw) {
					t.Errorf("the password leaks: %q", s)
				}
			}
		})
	}
}
