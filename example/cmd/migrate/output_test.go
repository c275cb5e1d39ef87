package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestScrubber: a DSN or password of the run never shows, in whichever
// form an error quotes it.
func TestScrubber(t *testing.T) {
	sc := newScrubber(settings{databaseURL: "postgres://app:central-pw@db:5432/central", redisURL: "redis://:redis-pw@cache:6379/0"})
	sc.addDatabase(databaseOf("host=db user=t1 password='kw pw' dbname=t1", "", nil))
	sc.addDatabase(databaseOf("", "field/pw", map[string]string{"sslpassword": "param-pw"}))
	sc.addDatabase(databaseOf("postgres://t3:p%40ss@db/t3?sslmode=disable", "", nil))
	in := strings.Join([]string{
		"dial postgres://app:central-pw@db:5432/central: refused",
		"auth central-pw",
		"redis redis-pw",
		"dsn host=db user=t1 password='kw pw' dbname=t1",
		"kw pw alone",
		"field field/pw escaped field%2Fpw",
		"param param-pw",
		"url postgres://t3:p%40ss@db/t3?sslmode=disable decoded p@ss",
	}, "\n")
	out := sc.scrub(in)
	for _, secret := range []string{"central-pw", "redis-pw", "kw pw", "field/pw", "field%2Fpw", "param-pw", "p%40ss", "p@ss"} {
		if strings.Contains(out, secret) {
			t.Errorf("%q shows in:\n%s", secret, out)
		}
	}
	for _, keep := range []string{"postgres://app:[redacted]@db:5432/central", "postgres://t3:[redacted]@db/t3?sslmode=disable", "user=t1", "refused"} {
		if !strings.Contains(out, keep) {
			t.Errorf("%q is gone from:\n%s", keep, out)
		}
	}
}

// TestProgressOnTerminal: on a terminal the progress is a bar redrawn
// in place, failures printed above it, and cleared at the end; the same
// run on a pipe writes plain lines only.
func TestProgressOnTerminal(t *testing.T) {
	results := []migrate.Result{
		{Reserved: "default", Status: migrate.StatusMigrated, Duration: 3 * time.Millisecond},
		{Tenant: "a", Status: migrate.StatusUpToDate, Duration: 500 * time.Microsecond},
		{Tenant: "b", Status: migrate.StatusFailed, Duration: 1200 * time.Millisecond, Err: errors.New("migrate: database unreachable: dial postgres://u:hunter2@h/b")},
		{Tenant: "c", Status: migrate.StatusSkipped, Err: errors.New("not started")},
	}
	names := []string{"reserved:default", "a", "b", "c"}
	show := func(tty bool) string {
		var out, errOut bytes.Buffer
		sc := newScrubber(settings{})
		sc.addSecret("hunter2")
		o := newOutput(&out, &errOut, tty, sc)
		o.begin(names, false)
		for _, r := range results {
			o.progress(r)
		}
		o.end()
		return errOut.String()
	}
	bar := show(true)
	for _, want := range []string{"\r\x1b[2Kmigrating [", "] 4/4  1 failed", "\r\x1b[2Kb                 failed      1.2s  migrate: database unreachable: dial postgres://u:[redacted]@h/b\n"} {
		if !strings.Contains(bar, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, bar)
		}
	}
	if !strings.HasSuffix(bar, "\r\x1b[2K") || strings.Contains(bar, "a                 up to date") {
		t.Errorf("terminal output: only failures are printed above the bar, which is cleared at the end:\n%q", bar)
	}
	plain := show(false)
	want := "reserved:default  migrated    3ms\n" +
		"a                 up to date  <1ms\n" +
		"b                 failed      1.2s  migrate: database unreachable: dial postgres://u:[redacted]@h/b\n" +
		"c                 skipped     -  not started\n"
	if plain != want {
		t.Errorf("plain output:\n%s\nwant:\n%s", plain, want)
	}
}

func databaseOf(dsn, password string, params map[string]string) tenantconfig.Database {
	return tenantconfig.Database{DataSource: tenantconfig.DataSource{DSN: dsn, Password: password, Params: params}}
}
