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
	tests := []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"invalid", tenant.NewContext(context.Background(), "../x"), tenant.ErrInvalidID},
		{"empty", tenant.NewContext(context.Background(), ""), tenant.ErrInvalidID},
		{"missing", context.Background(), tenant.ErrMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if key, err := cacheaware.Key(tt.ctx, "k"); !errors.Is(err, tt.want) || key != "" {
				t.Fatalf("Key = %q, %v; want \"\", %v", key, err, tt.want)
			}
			if p, err := cacheaware.Prefix(tt.ctx); !errors.Is(err, tt.want) || p != "" {
				t.Fatalf("Prefix = %q, %v; want \"\", %v", p, err, tt.want)
			}
		})
	}
}
