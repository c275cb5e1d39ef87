package pgdriver

import (
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestRefusesSettingsTheServerWouldReadOtherwise: a data source whose
// settings could only fail when used, or that PostgreSQL would read
// otherwise than written, is refused when its connector is made (at
// Set), naming what is wrong and never the password.
func TestRefusesSettingsTheServerWouldReadOtherwise(t *testing.T) {
	long := strings.Repeat("t", 64)
	for _, tt := range []struct {
		name string
		src  tenantconfig.DataSource
		want string
	}{
		{"NUL in host", tenantconfig.DataSource{Host: "db\x00evil", Name: "a"}, "host holds a NUL byte"},
		{"NUL in user", tenantconfig.DataSource{User: "u\x00", Name: "a"}, "user holds a NUL byte"},
		{"NUL in password", tenantconfig.DataSource{Password: "pw\x00secret", Name: "a"}, "password holds a NUL byte"},
		{"NUL in name", tenantconfig.DataSource{Name: "a\x00b"}, "database holds a NUL byte"},
		{"bracketed host", tenantconfig.DataSource{Host: "[::1", Name: "a"}, `host "[::1" is not`},
		{"host with a space", tenantconfig.DataSource{Host: "db internal", Name: "a"}, "is not a host name"},
		{"name PostgreSQL would cut", tenantconfig.DataSource{Name: long}, "database name of 64 bytes"},
		{"user PostgreSQL would cut", tenantconfig.DataSource{Name: "a", User: long}, "user name of 64 bytes"},
		{"empty parameter name", tenantconfig.DataSource{Name: "a", Params: map[string]string{"": "x"}}, "empty name"},
		{"NUL in a parameter", tenantconfig.DataSource{Name: "a", Params: map[string]string{"search_path": "a\x00"}}, "holds a NUL byte"},
		{"dsn with a long name", tenantconfig.DataSource{DSN: "postgres://u@h/" + long}, "database name of 64 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New().Connector(tmpl, tt.src)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error quotes the password: %v", err)
			}
		})
	}
	// At the limits: accepted.
	for _, src := range []tenantconfig.DataSource{
		{Name: strings.Repeat("t", 63), User: strings.Repeat("u", 63)},
		{Host: "::1", Name: "a"},
		{Host: "/var/run/postgresql", Name: "a"},
	} {
		if _, err := New().Connector(tmpl, src); err != nil {
			t.Errorf("%+v refused: %v", src, err)
		}
	}
}
