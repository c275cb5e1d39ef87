package resolver_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// logRecords keeps the records a logger receives, as "message k=v ...".
type logRecords struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	s := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "error" {
			s += fmt.Sprintf(" %s=%v", a.Key, a.Value)
		}
		return true
	})
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }

// TestStateChangesAreLogged: each tenant and pool state change is logged
// once, with the tenant as the attribute "tenant" and the config version
// it concerns.
func TestStateChangesAreLogged(t *testing.T) {
	logs := &logRecords{}
	cfg := sqliteConfig()
	cfg.MaxPools = 1
	cfg.Logger = slog.New(logs)
	r, err := resolver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	ctx := context.Background()
	version := func(db tenantconfig.Database, v uint64) tenantconfig.Database { db.Version = v; return db }
	use := func(id string) {
		t.Helper()
		p, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.ExecContext(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.Set(ctx, "a", version(file(t, "a1.db"), 1)))
	must(r.Set(ctx, "b", version(file(t, "b.db"), 1)))
	use("a")                                            // opened a 1
	must(r.Set(ctx, "a", version(file(t, "a2.db"), 2))) // evicts a 1 for a 2's slot; swapped a 2
	use("b")                                            // evicts a 2 (MaxPools 1); opened b 1
	must(r.Set(ctx, "a", version(file(t, "a3.db"), 3))) // changed: no pool open
	must(r.Remove(ctx, "b"))                            // removed; b 1 closes
	must(r.Close())

	want := []string{
		"tenant added tenant=a version=1",
		"tenant added tenant=b version=1",
		"tenant pool opened tenant=a version=1",
		"tenant pool evicted tenant=a version=1 reason=pool cap",
		"tenant pool swapped tenant=a version=2",
		"tenant pool closed tenant=a version=1",
		"tenant pool evicted tenant=a version=2 reason=pool cap",
		"tenant pool closed tenant=a version=2",
		"tenant pool opened tenant=b version=1",
		"tenant changed tenant=a version=3",
		"tenant removed tenant=b",
		"tenant pool closed tenant=b version=1",
	}
	logs.mu.Lock()
	got := slices.Clone(logs.lines)
	logs.mu.Unlock()
	got = slices.DeleteFunc(got, func(s string) bool {
		return s == "" || s[:6] != "tenant" || s == "tenant pools use the dialector's settings"
	})
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("logged:\n%q\nwant:\n%q", got, want)
	}
}

// TestWithoutTenantLog: under WithoutTenantLog, Set and Remove log no
// line for the tenant they add, change or remove; a pool swap is still
// logged, and so are the same calls without it.
func TestWithoutTenantLog(t *testing.T) {
	logs := &logRecords{}
	cfg := sqliteConfig()
	cfg.Logger = slog.New(logs)
	r, err := resolver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	ctx := context.Background()
	quiet := resolver.WithoutTenantLog(ctx)
	version := func(db tenantconfig.Database, v uint64) tenantconfig.Database { db.Version = v; return db }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.Set(quiet, "a", version(file(t, "a1.db"), 1)))    // added, quiet
	must(r.Set(quiet, "a", version(file(t, "a2.db"), 2)))    // changed, quiet
	must(r.Set(quiet, "b", version(file(t, "b1.db"), 1)))    // added, quiet
	p, err := r.ConnPool(ctx, "b", tenantplugin.AccessWrite) // opened b 1
	must(err)
	_, err = p.ExecContext(ctx, "SELECT 1")
	must(err)
	must(r.Set(quiet, "b", version(file(t, "b2.db"), 2))) // swapped: logged
	must(r.Remove(quiet, "a"))                            // removed, quiet
	must(r.Set(ctx, "c", version(file(t, "c.db"), 1)))    // added: logged
	must(r.Remove(ctx, "c"))                              // removed: logged

	want := []string{
		"tenant pool opened tenant=b version=1",
		"tenant pool swapped tenant=b version=2",
		"tenant added tenant=c version=1",
		"tenant removed tenant=c",
	}
	logs.mu.Lock()
	got := slices.Clone(logs.lines)
	logs.mu.Unlock()
	got = slices.DeleteFunc(got, func(s string) bool {
		return len(s) < 6 || s[:6] != "tenant" || s == "tenant pools use the dialector's settings" ||
			strings.HasPrefix(s, "tenant pool closed")
	})
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("logged:\n%q\nwant:\n%q", got, want)
	}
}
