package reserved

import (
	"testing"
	"unicode"

	tenantplugin "github.com/tenantrouter/tenantplugin"
)

// TestHasUpper: the byte-wise reading of ASCII agrees with unicode.IsUpper
// rune by rune, for ASCII names and names with other letters anywhere.
func TestHasUpper(t *testing.T) {
	ref := func(s string) bool {
		for _, r := range s {
			if unicode.IsUpper(r) {
				return true
			}
		}
		return false
	}
	for _, s := range []string{"", "notes", "Notes", "noteS", "audit_logs", "a1_$",
		"é", "É", "notÉs", "ÉTÉ", "notes_é", "notes_Ω", "ω", "ǅ", "ǲx", "日本", "日本A", "\xff", "a\xffB", "@[`{"} {
		if got, want := hasUpper(s), ref(s); got != want {
			t.Errorf("hasUpper(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestTablesCase: names are matched whatever their case, non-ASCII
// letters included, and with a schema.
func TestTablesCase(t *testing.T) {
	st := Tables("central", "Audit", "Éléments")
	for table, want := range map[string]bool{
		"audit": true, "AUDIT": true, "public.Audit": true, "éléments": true, "ÉLÉMENTS": true,
		"s.éLéments": true, "audits": false, "": false, "elements": false,
	} {
		r, ok := st.Route(tenantplugin.Statement{Table: table})
		if ok != want || ok && r != tenantplugin.ReservedRoute("central") {
			t.Errorf("%q: %v %v, want %v", table, r, ok, want)
		}
	}
}
