package pgdriver_test

import (
	"testing"

	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestTemplateParsedOnceSharesNothing: tenants merged over one template
// (parsed once) never see each other's fields or params.
func TestTemplateParsedOnceSharesNothing(t *testing.T) {
	const tmpl = "postgres://app:secret@db1:5432/central?sslmode=disable&search_path=public&host=db1,db2"
	a, err := pgdriver.ConnConfig(tmpl, tenantconfig.DataSource{Name: "a", Port: 6000, User: "ua", Params: map[string]string{"search_path": "a", "application_name": "A"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := pgdriver.ConnConfig(tmpl, tenantconfig.DataSource{Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Database != "a" || a.Port != 6000 || a.User != "ua" || a.RuntimeParams["search_path"] != "a" || a.RuntimeParams["application_name"] != "A" {
		t.Fatalf("tenant a: %s:%d db %s user %s params %v", a.Host, a.Port, a.Database, a.User, a.RuntimeParams)
	}
	if b.Database != "b" || b.Port != 5432 || b.User != "app" || b.Password != "secret" || b.RuntimeParams["search_path"] != "public" || b.RuntimeParams["application_name"] != "" {
		t.Fatalf("tenant b took a's settings: %s:%d db %s user %s params %v", b.Host, b.Port, b.Database, b.User, b.RuntimeParams)
	}
	for _, f := range b.Fallbacks {
		if f.Port != 5432 {
			t.Fatalf("tenant b's fallback %s has a's port %d", f.Host, f.Port)
		}
	}
	if len(a.Fallbacks) == 0 || len(b.Fallbacks) == 0 {
		t.Fatal("the template's second host is lost")
	}
}
