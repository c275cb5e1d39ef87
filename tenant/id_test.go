package tenant_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenant"
)

func TestValidateID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"acme", true},
		{"tenant-1.localhost", true},
		{"hôpital-ñ", true},
		{strings.Repeat("a", 128), true},
		{"", false},
		{strings.Repeat("a", 129), false},
		{"..", false},
		{"a..b", false},
		{"a/b", false},
		{`a\b`, false},
		{"a\x00b", false},
		{"a\nb", false},
		{"a\x7fb", false},
		{"\xff\xfe", false},
	}
	for _, tt := range tests {
		err := tenant.ValidateID(tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
		}
		if err != nil && !errors.Is(err, tenant.ErrInvalidID) {
			t.Errorf("ValidateID(%q) = %v, not tenant.ErrInvalidID", tt.id, err)
		}
	}
}

func TestContext(t *testing.T) {
	if _, ok := tenant.FromContext(t.Context()); ok {
		t.Fatal("empty context has a tenant")
	}
	ctx := tenant.NewContext(t.Context(), "acme")
	if id, ok := tenant.FromContext(ctx); !ok || id != "acme" {
		t.Fatalf("FromContext = %q, %v", id, ok)
	}
}
