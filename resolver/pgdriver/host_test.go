package pgdriver

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestInetAton: inetAton reads an IPv4 address as the C library's
// inet_aton does. The "glibc" cases are as glibc 2.36's inet_aton and
// getaddrinfo (AI_NUMERICHOST) read them; the "BSD" ones glibc's
// getaddrinfo refuses and the BSDs' inet_aton (macOS) reads, as they
// read them: naming them so only refuses more.
func TestInetAton(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// glibc.
		{"127.0.0.1", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"127.0.1", "127.0.0.1"},
		{"2130706433", "127.0.0.1"},
		{"0x7f000001", "127.0.0.1"},
		{"0X7F.1", "127.0.0.1"},
		{"0x7f.0.0.1", "127.0.0.1"},
		{"0177.0.0.1", "127.0.0.1"},
		{"127.000.000.001", "127.0.0.1"},
		{"000000000000000000000177.1", "127.0.0.1"},
		{"0x0000000000000000007f.1", "127.0.0.1"},
		{"0", "0.0.0.0"},
		{"00", "0.0.0.0"},
		{"0x0", "0.0.0.0"},
		{"10.1", "10.0.0.1"},
		{"10.0.1", "10.0.0.1"},
		{"167772161", "10.0.0.1"},
		{"012.0.0.1", "10.0.0.1"},
		{"010.0.0.1", "8.0.0.1"},
		{"1.2.3.04", "1.2.3.4"},
		{"1.256", "1.0.1.0"},
		{"1.16777215", "1.255.255.255"},
		{"1.2.65535", "1.2.255.255"},
		{"4294967295", "255.255.255.255"},
		{"0xffffffff", "255.255.255.255"},
		// Refused by all.
		{"", ""},
		{".", ""},
		{"127.", ""},
		{"127.0.0.1.", ""},
		{".127.1", ""},
		{"127..1", ""},
		{"1.2.3.4.5", ""},
		{"08", ""},
		{"1.2.3.09", ""},
		{"0x", ""},
		{"1.0x", ""},
		{"0xg", ""},
		{"+1", ""},
		{"-1", ""},
		{" 127.1", ""},
		{"127.1x", ""},
		{"1e3", ""},
		{"256.1", ""},
		{"1.2.3.256", ""},
		{"1.16777216", ""},
		{"1.2.65536", ""},
		{"127.0.0.1%lo", ""},
		{"::1", ""},
		{"::ffff:127.0.0.1", ""},
		{"localhost", ""},
		{"1password.example", ""},
		{"0x7f.example", ""},
		// BSD.
		{"127.1 ", "127.0.0.1"},
		{"127.1 junk", "127.0.0.1"},
		{"127.1\tx", "127.0.0.1"},
		{"127.1\v", "127.0.0.1"},
		{"127.1\f", "127.0.0.1"},
		{"0x.1", "0.0.0.1"},
		{"6425673729", "127.0.0.1"},                   // 2^32 + 2130706433, cut to 32 bits
		{"4294967296", "0.0.0.0"},                     // 2^32
		{"18446744073709551617.0.0.1", "1.0.0.1"},     // 2^64 + 1 wraps to 1
		{"1.0x10000000000000001", "1.0.0.1"},          // the same, in hexadecimal
		{"18446744073709551616.127.0.1", "0.127.0.1"}, // 2^64
		{"4294967296.0.0.1", ""},                      // no wrap: more than a byte
		{"1.18446744073709551615", ""},                // no wrap: more than 24 bits
		{"127.1\x85", ""},                             // not C's white space
		{"127.1\u00a0", ""},                           // nor this
		{"1.2.3.4 5.6.7.8", "1.2.3.4"},                // what follows white space is ignored
		{"0x.0x.0x.1", "0.0.0.1"},                     // "0x" alone, but for the last part
		{"0xffffffffffffffffff.1", ""},                // wraps to 2^64 - 1: more than a byte
		{"00000000000000000000000000000000000000.1", "0.0.0.1"},
	} {
		a, ok := inetAton(tc.in)
		got := ""
		if ok {
			got = a.String()
		}
		if got != tc.want {
			t.Errorf("inetAton(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestDatabaseHostFoldsSpellings: every spelling that may reach one
// server without a look-up names one database host: the C library's
// forms of an IPv4 address, an IPv6 address with a zone (the zone
// dropped: fe80::1%eth0 and fe80::1%2 may be one host; fe80::1%eth1,
// named alike, may be another, which only refuses more), an IPv4
// address mapped to IPv6, upper case, a trailing dot. Other addresses,
// and names that are none, stay apart.
func TestDatabaseHostFoldsSpellings(t *testing.T) {
	for _, same := range [][]string{
		{"localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.1", "127.1.", "0X7F.1", "2130706433", "0177.0.0.1",
			"0", "0.0", "0x0", "::", "::%lo", "::1", "::1%lo", "::1%1", "::ffff:127.0.0.1", "::ffff:7f00:1",
			"::ffff:127.0.0.1%eth0", "0:0:0:0:0:0:0:1%lo", "127.1 x"},
		{"10.0.0.1", "10.1", "10.0.1", "167772161", "0x0a000001", "0x0a.0.0.1", "012.0.0.1", "::ffff:10.0.0.1", "::FFFF:A00:1", "10.1."},
		{"fe80::1", "fe80::1%eth0", "fe80::1%2", "FE80::1%ETH1", "fe80:0::1%lo", "fe80::1."},
		{"2001:db8::1", "2001:0DB8::1.", "2001:db8::1%eth0", "2001:DB8:0:0:0:0:0:1"},
		{"db.internal", "DB.Internal.", "db.internal."},
	} {
		want := databaseHost(same[0])
		if want != same[0] {
			t.Errorf("databaseHost(%q) = %q, want it kept", same[0], want)
		}
		for _, h := range same[1:] {
			if got := databaseHost(h); got != want {
				t.Errorf("databaseHost(%q) = %q, want %q as for %q", h, got, want, same[0])
			}
		}
	}
	for _, two := range [][2]string{
		{"localhost", "127.0.0.2"},
		{"localhost", "127.2"},
		{"localhost", "::127.0.0.1"}, // IPv4-compatible: another address
		{"localhost", "::2"},
		{"10.0.0.1", "010.0.0.1"}, // octal: 8.0.0.1
		{"8.0.0.1", "08.0.0.1"},   // not an address: a name
		{"127.1", "127.1.example"},
		{"fe80::1%eth0", "fe80::2%eth0"},
	} {
		if a, b := databaseHost(two[0]), databaseHost(two[1]); a == b {
			t.Errorf("databaseHost(%q) = databaseHost(%q) = %q: two hosts named alike", two[0], two[1], a)
		}
	}
}

// TestServerKeepsSpellings: connection budgets (Connector's Server)
// keep the host as written, but for case, a trailing dot and an IP
// address's form: a server's name is what Config.ServerMaxConns lists,
// and the C library's spellings of an address are names to Go's own
// resolver, which may find another host under them (a search domain).
// Only the database names fold them.
func TestServerKeepsSpellings(t *testing.T) {
	const tmpl = "postgres://app@db.internal:5432/app?sslmode=disable"
	for _, h := range []string{"127.1", "2130706433", "0", "::1%lo", "fe80::1%eth0", "localhost", "127.0.0.1", "::1", "10.1"} {
		c, err := New().Connector(tmpl, tenantconfig.DataSource{Host: h, Name: "shop"})
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		want := "[" + h + "]:5432"
		if !strings.Contains(h, ":") {
			want = h + ":5432"
		}
		if got := c.(connector).Server(); got != want {
			t.Errorf("host %q: Server() = %q, want %q", h, got, want)
		}
	}
}

// TestHostNamesAllocateNothing: naming a host, which a boot does for
// every tenant, allocates nothing for a host name in lower case, an IP
// address in its shortest form, or the loopback host.
func TestHostNamesAllocateNothing(t *testing.T) {
	for _, h := range []string{"db.internal", "pg-1.eu-west-1.rds.example.com", "localhost", "127.0.0.1", "0.0.0.0", "10.0.0.5", "::1", "2001:db8::1", "fe80::1"} {
		if n := testing.AllocsPerRun(100, func() { _ = databaseHost(h) }); n != 0 {
			t.Errorf("databaseHost(%q): %v allocations", h, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = canonicalHost(h) }); n != 0 {
			t.Errorf("canonicalHost(%q): %v allocations", h, n)
		}
	}
}

// FuzzHostAddr: inetAton reads every address glibc reads as glibc does
// (a plain model of glibc's inet_aton below), netip's IPv4 addresses as
// netip does, and a database host named by an address names it again.
func FuzzHostAddr(f *testing.F) {
	for _, s := range []string{"127.1", "0x7f.1", "0177.0.0.1", "2130706433", "0", "10.1", "1.256", "6425673729", "0x.1",
		"127.1 x", "::1%lo", "fe80::1%eth0", "::ffff:127.0.0.1", "1.2.3.4.5", "08", "db.internal", "LOCALHOST.", "2001:0DB8::1."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		a, ok := inetAton(h)
		if want, wok := glibcInetAton(h); wok && (!ok || a != want) {
			t.Fatalf("inetAton(%q) = %v %v; glibc reads %v", h, a, ok, want)
		}
		if p, err := netip.ParseAddr(h); err == nil {
			if p.Is4() && (!ok || a != p) {
				t.Fatalf("inetAton(%q) = %v %v; netip reads %v", h, a, ok, p)
			}
			if got, gok := hostAddr(h); !gok || got != p.WithZone("").Unmap() {
				t.Fatalf("hostAddr(%q) = %v %v; netip reads %v", h, got, gok, p)
			}
		}
		if strings.HasPrefix(h, "/") {
			return
		}
		name := databaseHost(h)
		if addr, ok := hostAddr(strings.TrimSuffix(strings.ToLower(h), ".")); ok {
			if again := databaseHost(name); again != name {
				t.Fatalf("databaseHost(%q) = %q, and of that %q", h, name, again)
			}
			if back, bok := hostAddr(name); name != "localhost" && (!bok || back != addr) {
				t.Fatalf("databaseHost(%q) = %q, which reads %v %v, not %v", h, name, back, bok, addr)
			}
		}
		_ = canonicalHost(h)
	})
}

// glibcInetAton is glibc's inet_aton, written plainly: one to four
// parts, each read as strtoul reads it in base 0 (no more than
// 0xffffffff), all but the last a byte, the last filling the rest; no
// trailing white space (getaddrinfo refuses it).
func glibcInetAton(h string) (netip.Addr, bool) {
	ps := strings.Split(h, ".")
	if len(ps) > 4 {
		return netip.Addr{}, false
	}
	var a uint32
	for i, p := range ps {
		if p == "" || p[0] < '0' || p[0] > '9' {
			return netip.Addr{}, false
		}
		var v uint64
		var err error
		switch {
		case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
			v, err = strconv.ParseUint(p[2:], 16, 32)
		case p[0] == '0':
			v, err = strconv.ParseUint(p, 8, 32)
		default:
			v, err = strconv.ParseUint(p, 10, 32)
		}
		if err != nil {
			return netip.Addr{}, false
		}
		if i < len(ps)-1 {
			if v > 0xff {
				return netip.Addr{}, false
			}
			a |= uint32(v) << (24 - 8*i)
		} else {
			if v > 0xffffffff>>(8*i) {
				return netip.Addr{}, false
			}
			a |= uint32(v)
		}
	}
	return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), true
}
