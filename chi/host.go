package tenantchi

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// maxHostLen bounds the Host values read at all: a DNS name is at most
// 253 bytes, plus a trailing dot, brackets and a port. Anything longer is
// refused before it is scanned.
const maxHostLen = 254 + len("[]:65535")

// maxLabelLen is the longest DNS label.
const maxLabelLen = 63

// errNoHost is returned for a request with no host (HTTP/1.0 without a
// Host header, or a handler called with an empty r.Host).
var errNoHost = fmt.Errorf("%w: the request has no host", ErrNoTenantInRequest)

// normalizeHost returns host without its port, in lower case, without a
// trailing dot, and checks that what is left is a DNS name of letters,
// digits, '-' and '_' (internationalised names arrive in their xn--
// form), or a bracketed IPv6 literal, returned without brackets in its
// canonical form. It copies host only to lower-case it. The error wraps
// [ErrNoTenantInRequest] for an empty host, [tenant.ErrInvalidID]
// otherwise.
func normalizeHost(host string) (string, error) {
	if host == "" {
		return "", errNoHost
	}
	name, why := parseHost(host)
	if why != "" {
		return "", invalidHost(host, why)
	}
	return name, nil
}

// parseHost does normalizeHost's work; it returns why host is refused,
// or "".
func parseHost(host string) (string, string) {
	switch {
	case host == "":
		return "", "empty"
	case len(host) > maxHostLen:
		return "", fmt.Sprintf("%d bytes, at most %d allowed", len(host), maxHostLen)
	case host[0] == '[':
		return parseIPv6(host)
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		if !validPort(host[i+1:]) {
			return "", "not a name and a port"
		}
		host = host[:i]
	}
	name := strings.TrimSuffix(host, ".")
	upper, label := false, 0
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case 'A' <= c && c <= 'Z':
			upper = true
		case c == '.':
			if label == 0 {
				return "", "empty label"
			}
			label = 0
			continue
		default:
			return "", "character not allowed in a host name"
		}
		if label++; label > maxLabelLen {
			return "", "label longer than 63 bytes"
		}
	}
	if label == 0 {
		return "", "empty label"
	}
	if upper {
		name = strings.ToLower(name)
	}
	return name, ""
}

// parseIPv6 reads "[addr]" or "[addr]:port". The address must be an
// IPv6 address without a zone.
func parseIPv6(host string) (string, string) {
	end := strings.IndexByte(host, ']')
	if end < 0 {
		return "", "no closing ']'"
	}
	if rest := host[end+1:]; rest != "" && (rest[0] != ':' || !validPort(rest[1:])) {
		return "", "not an IPv6 literal and a port"
	}
	addr, err := netip.ParseAddr(host[1:end])
	if err != nil || !addr.Is6() || addr.Zone() != "" {
		return "", "not an IPv6 address without a zone"
	}
	return addr.String(), ""
}

// validPort reports whether p is empty (RFC 3986 allows "host:") or at
// most five digits.
func validPort(p string) bool {
	if len(p) > 5 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// invalidHost is the error for a malformed host. The host is quoted and
// cut short, so that an error handler that prints the error prints
// neither control characters nor kilobytes of the client's input.
func invalidHost(host, why string) error {
	return fmt.Errorf("%w: host %s: %s", tenant.ErrInvalidID, quoteShort(host), why)
}

// quoteShort quotes s, cut to 64 bytes.
func quoteShort(s string) string {
	const maxLen = 64
	if len(s) > maxLen {
		return fmt.Sprintf("%q...", s[:maxLen])
	}
	return fmt.Sprintf("%q", s)
}
