package tenantchi

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// FromSubdomain takes the tenant from the label of the request's host
// just below baseDomain: with "example.com", acme.example.com:8443 is
// tenant "acme". The host is normalised as [FromHost] does. The base
// domain itself (example.com), a host more than one level below it
// (a.b.example.com) and hosts of other domains find no tenant here, so
// the next extractor is tried (serve the bare domain's pages with a
// bypass: [WithBypass]). A malformed host is refused.
//
// baseDomain is normalised like a host (lower case, no trailing dot, no
// port); it returns an error naming it if it is empty or not a DNS name
// or if it is an IPv6 literal.
func FromSubdomain(baseDomain string) (Extractor, error) {
	base, why := parseHost(baseDomain)
	if why == "" && strings.IndexByte(base, ':') >= 0 {
		why = "an IPv6 literal has no subdomains"
	}
	if why != "" {
		return nil, fmt.Errorf("tenantchi: FromSubdomain(%s): %s", quoteShort(baseDomain), why)
	}
	suffix := "." + base
	apex := fmt.Errorf("%w: host is the base domain %q itself", ErrNoTenantInRequest, base)
	deep := fmt.Errorf("%w: host is more than one level below %q", ErrNoTenantInRequest, base)
	other := fmt.Errorf("%w: host is not a subdomain of %q", ErrNoTenantInRequest, base)
	return func(r *http.Request) (string, error) {
		host, err := normalizeHost(r.Host)
		switch {
		case err != nil:
			return "", err
		case host == base:
			return "", apex
		case !strings.HasSuffix(host, suffix):
			return "", other
		}
		label := host[:len(host)-len(suffix)]
		if strings.IndexByte(label, '.') >= 0 {
			return "", deep
		}
		return label, nil
	}, nil
}

// FromHostMap takes the tenant from a table of hosts, for tenants served
// on domains of their own ("shop.acme.com" → "acme"); several hosts may
// name one tenant. The keys are normalised as [FromHost] normalises a
// request's host (lower case, no trailing dot, no port); a host not in
// the table finds no tenant, so the next extractor is tried.
//
// The table is copied: later changes to m are not seen. For a table
// that changes at run time, write an [Extractor] over your own
// concurrency-safe lookup (normalise r.Host with [NormalizeHost] first).
//
// It returns an error naming the entry if a key is not a host, a value
// is not a valid tenant id ([tenant.ValidateID]), or two keys that
// normalise to the same host name different tenants.
func FromHostMap(m map[string]string) (Extractor, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same error for the same table
	hosts := make(map[string]string, len(m))
	from := make(map[string]string, len(m))
	for _, k := range keys {
		id := m[k]
		host, why := parseHost(k)
		if why != "" {
			return nil, fmt.Errorf("tenantchi: FromHostMap: key %s: %s", quoteShort(k), why)
		}
		if err := tenant.ValidateID(id); err != nil {
			return nil, fmt.Errorf("tenantchi: FromHostMap: key %s: %w", quoteShort(k), err)
		}
		if prev, ok := hosts[host]; ok && prev != id {
			return nil, fmt.Errorf("tenantchi: FromHostMap: keys %s and %s are both host %q, for tenants %q and %q",
				quoteShort(from[host]), quoteShort(k), host, prev, id)
		}
		hosts[host], from[host] = id, k
	}
	return func(r *http.Request) (string, error) {
		host, err := normalizeHost(r.Host)
		if err != nil {
			return "", err
		}
		if id, ok := hosts[host]; ok {
			return id, nil
		}
		return "", errNotMapped
	}, nil
}

var errNotMapped = fmt.Errorf("%w: host not in the host table", ErrNoTenantInRequest)
