// The C library's resolver, which reads IPv4 as inet_aton does (127.1),
// for TestRedTeam8InetAtonSharedThroughResolver: Go's own reads only
// dotted quads.
//go:debug netdns=cgo

package pgdriver_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// inetAtonLoopback are spellings of 127.0.0.1 that the C library's
// getaddrinfo (inet_aton) reads as that address, without any look-up:
// Go's cgo resolver (the default on macOS, and on Linux when
// GODEBUG=netdns=cgo or nsswitch.conf asks for it) returns 127.0.0.1
// for each, and pgx dials it. "0" is 0.0.0.0, which the kernel connects
// to loopback (TestRound7UnspecifiedAddressIsLoopback). ::1 with a zone
// (%lo, %1) is ::1 too.
var inetAtonLoopback = []string{"::1%lo", "::1%1", "127.1", "127.0.1", "2130706433", "0x7f000001", "0x7f.1", "0177.0.0.1", "127.000.000.001", "0"}

// TestRedTeam8InetAtonSpellingsOfLoopback: the README says IP addresses
// are compared "in one form", localhost, 127.0.0.1 and ::1 as one. The
// inet_aton spellings of 127.0.0.1 name other databases than
// localhost's, so two tenants given localhost and 127.1 (one server,
// one database) are not told to share it.
func TestRedTeam8InetAtonSpellingsOfLoopback(t *testing.T) {
	const tmpl = "postgres://app@db.internal:5432/app?sslmode=disable"
	want := checkedNames(t, tmpl, tenantconfig.DataSource{Host: "localhost", Name: "shop"})
	for _, h := range inetAtonLoopback {
		if got := checkedNames(t, tmpl, tenantconfig.DataSource{Host: h, Name: "shop"}); !slices.Equal(got, want) {
			t.Errorf("host %q names %q, localhost %q: one server, two names", h, got, want)
		}
	}
	// Not only loopback: 10.1 and 167772161 are 10.0.0.1.
	want = checkedNames(t, tmpl, tenantconfig.DataSource{Host: "10.0.0.1", Name: "shop"})
	for _, h := range []string{"10.1", "167772161", "0x0a.0.0.1", "012.0.0.1"} {
		if got := checkedNames(t, tmpl, tenantconfig.DataSource{Host: h, Name: "shop"}); !slices.Equal(got, want) {
			t.Errorf("host %q names %q, 10.0.0.1 %q: one server, two names", h, got, want)
		}
	}
}

// TestRedTeam8InetAtonSharedThroughResolver: the same, end to end on the
// test server, with the C library's resolver (the go:debug directive
// above), which reads these spellings as other clients do: both tenants'
// pools reach one database, which must be named alike, and Set must
// refuse the second tenant.
func TestRedTeam8InetAtonSharedThroughResolver(t *testing.T) {
	u, err := url.Parse(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" {
		t.Skipf("test server on %s, not loopback", u.Hostname())
	}
	addrs, err := net.DefaultResolver.LookupHost(context.Background(), "127.1")
	if err != nil || !slices.Contains(addrs, "127.0.0.1") {
		t.Fatalf("this process's resolver does not read 127.1 as 127.0.0.1 (%v %v): built without cgo?", addrs, err)
	}
	db := testenv.Databases(t, 1)[0]
	tmpl := testenv.PostgresURL(t)
	// The two spellings reach one database.
	nameA, curA := reached(t, tmpl, tenantconfig.DataSource{Host: "127.0.0.1", Name: db})
	nameB, curB := reached(t, tmpl, tenantconfig.DataSource{Host: "127.1", Name: db})
	if curA != db || curB != db {
		t.Fatalf("reached %q and %q, want %q", curA, curB, db)
	}
	if nameA != nameB {
		t.Errorf("one database named %q and %q", nameA, nameB)
	}
	r, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: tmpl},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if err := r.Set(ctx, "a", tenantconfig.Database{DataSource: tenantconfig.DataSource{Host: "127.0.0.1", Name: db}}); err != nil {
		t.Fatal(err)
	}
	err = r.Set(ctx, "b", tenantconfig.Database{DataSource: tenantconfig.DataSource{Host: "127.1", Name: db}})
	if !errors.Is(err, resolver.ErrDatabaseShared) {
		t.Errorf("tenant b on 127.1/%s, tenant a on 127.0.0.1/%s (one database, names %q and %q): Set = %v, want ErrDatabaseShared", db, db, nameB, nameA, err)
	}
}
