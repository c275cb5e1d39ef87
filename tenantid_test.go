package tenantplugin_test

import (
	"errors"
	"strings"
	"testing"

	tenantplugin "github.com/tenantrouter/tenantplugin"
)

func TestValidateTenantID(t *testing.T) {
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
		err := tenantplugin.ValidateTenantID(tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateTenantID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
		}
		if err != nil && !errors.Is(err, tenantplugin.ErrInvalidTenantID) {
			t.Errorf("ValidateTenantID(%q) = %v, not ErrInvalidTenantID", tt.id, err)
		}
	}
}

func TestContext(t *testing.T) {
	if _, ok := tenantplugin.FromContext(t.Context()); ok {
		t.Fatal("empty context has a tenant")
	}
	ctx := tenantplugin.NewContext(t.Context(), "acme")
	if id, ok := tenantplugin.FromContext(ctx); !ok || id != "acme" {
		t.Fatalf("FromContext = %q, %v", id, ok)
	}
}
