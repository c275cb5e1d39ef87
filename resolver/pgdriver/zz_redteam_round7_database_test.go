package pgdriver_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// checkedNames returns the databases Check names for src, after checking that
// the connector names the same ones.
func checkedNames(t *testing.T, tmpl string, src tenantconfig.DataSource) []string {
	t.Helper()
	dbs, err := pgdriver.New().(dbdriver.Checker).Check(tmpl, src)
	if err != nil {
		t.Fatalf("%+v: %v", src, err)
	}
	return dbs
}

// TestRound7UnspecifiedAddressIsLoopback: on Linux (and macOS), connecting to
// 0.0.0.0 or :: reaches the local host: 0.0.0.0:5432 reaches the server
// listening on 127.0.0.1:5432 (and :: the one on ::1). "0.0.0.0" is what
// `docker ps` prints for a published port (0.0.0.0:5432->5432/tcp) and
// is commonly copied into configs. Yet it names another database than
// localhost / 127.0.0.1 / ::1, so two tenants given localhost and
// 0.0.0.0 share one database undetected.
func TestRound7UnspecifiedAddressIsLoopback(t *testing.T) {
	const tmpl = "postgres://app@db.internal:5432/app?sslmode=disable"
	want := checkedNames(t, tmpl, tenantconfig.DataSource{Host: "localhost", Name: "shop"})
	for _, h := range []string{"0.0.0.0", "::", "0:0:0:0:0:0:0:0", "::ffff:0.0.0.0"} {
		if got := checkedNames(t, tmpl, tenantconfig.DataSource{Host: h, Name: "shop"}); got[0] != want[0] {
			t.Errorf("host %q names %q, localhost %q: one server (the kernel connects the unspecified address to loopback), two names", h, got, want)
		}
	}
}

// TestRound7UnspecifiedAddressSharedThroughResolver: the same, end to end:
// the resolver sets two tenants on one PostgreSQL database without
// ErrDatabaseShared.
func TestRound7UnspecifiedAddressSharedThroughResolver(t *testing.T) {
	r, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: "postgres://app@db.internal:5432/app?sslmode=disable"},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if err := r.Set(ctx, "a", tenantconfig.Database{DataSource: tenantconfig.DataSource{Host: "localhost", Name: "shop"}}); err != nil {
		t.Fatal(err)
	}
	err = r.Set(ctx, "b", tenantconfig.Database{DataSource: tenantconfig.DataSource{Host: "0.0.0.0", Name: "shop"}})
	if !errors.Is(err, resolver.ErrDatabaseShared) {
		t.Errorf("tenant b on 0.0.0.0:5432/shop, tenant a on localhost:5432/shop (one database): Set = %v, want ErrDatabaseShared", err)
	}
}

// TestRound7SocketDirectoryThroughSymlink: a socket directory reached through
// a symbolic link is one server: on Debian and Ubuntu /var/run is a link
// to /run, and pgx's default socket directory is /var/run/postgresql,
// while configs commonly say /run/postgresql. No look-up is involved
// (SQLite's names already follow links), yet the two spellings name two
// databases. The test builds its own link so as not to depend on the
// machine.
func TestRound7SocketDirectoryThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	dirPath := filepath.Join(dir, "run", "postgresql")
	if err := os.MkdirAll(dirPath, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "var-run")
	if err := os.Symlink(filepath.Join(dir, "run"), link); err != nil {
		t.Skip(err)
	}
	const tmpl = "postgres://app@db.internal:5432/app?sslmode=disable"
	a := checkedNames(t, tmpl, tenantconfig.DataSource{Host: dirPath, Name: "shop"})
	b := checkedNames(t, tmpl, tenantconfig.DataSource{Host: filepath.Join(link, "postgresql"), Name: "shop"})
	if a[0] != b[0] {
		t.Errorf("one socket directory named %q and %q", a, b)
	}
}
