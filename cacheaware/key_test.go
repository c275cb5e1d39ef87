package cacheaware_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/cacheaware"
	"github.com/tenantrouter/tenantplugin/tenant"
)

func TestPrefixesAreDisjoint(t *testing.T) {
	// "a:" with key "b" and "a" with key ":b" must not collide.
	ids := []string{"a", "a:", "a:b", "ab", "b"}
	seen := map[string]string{}
	for _, id := range ids {
		p, err := cacheaware.Prefix(tenant.NewContext(context.Background(), id))
		if err != nil {
			t.Fatal(err)
		}
		for other, q := range seen {
			if strings.HasPrefix(p, q) || strings.HasPrefix(q, p) {
				t.Errorf("prefix of %q (%q) overlaps prefix of %q (%q)", id, p, other, q)
			}
		}
		seen[id] = p
	}
}

func TestRefusesBadTenant(t *testing.T) {
	if _, err := cacheaware.Key(tenant.NewContext(context.Background(), "../x"), "k"); !errors.Is(err, tenant.ErrInvalidID) {
		t.Fatalf("err = %v", err)
	}
}
