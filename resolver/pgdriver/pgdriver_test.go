package pgdriver

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

const tmpl = "postgres://app:template-secret@db.internal:5432/app?sslmode=disable&application_name=web"

func TestMergeOverTemplate(t *testing.T) {
	tests := []struct {
		name string
		cfg  tenantconfig.DataSource
		want func(c *pgx.ConnConfig) string // returns a mismatch, or ""
	}{
		{"name only", tenantconfig.DataSource{Name: "acme"}, func(c *pgx.ConnConfig) string {
			if c.Database != "acme" || c.Host != "db.internal" || c.User != "app" || c.Password != "template-secret" || c.Port != 5432 {
				return "fields not kept from the template"
			}
			return ""
		}},
		{"all fields", tenantconfig.DataSource{Host: "pg2", Port: 6543, Name: "acme", User: "acme_user", Password: "acme-pw", Params: map[string]string{"search_path": "acme"}},
			func(c *pgx.ConnConfig) string {
				if c.Host != "pg2" || c.Port != 6543 || c.User != "acme_user" || c.Password != "acme-pw" || c.RuntimeParams["search_path"] != "acme" || c.RuntimeParams["application_name"] != "web" {
					return "fields not merged"
				}
				return ""
			}},
		{"full dsn", tenantconfig.DataSource{DSN: "postgres://u:p@other:1/db2", Name: "ignored"}, func(c *pgx.ConnConfig) string {
			if c.Host != "other" || c.Database != "db2" || c.Port != 1 {
				return "dsn not used as given"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := connConfig(tmpl, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.want(c); msg != "" {
				t.Fatalf("%s: %+v", msg, c)
			}
		})
	}
}

func TestErrorsHideTheDSN(t *testing.T) {
	tests := []tenantconfig.DataSource{
		{DSN: "postgres://u:hunter2@host:notaport/db"},
		{DSN: "host=h password=hunter2 port=99999999"},
	}
	for _, cfg := range tests {
		_, err := New().Connector(tmpl, cfg)
		if err == nil {
			t.Fatalf("%q accepted", cfg.DSN)
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "host") && strings.Contains(err.Error(), "notaport") {
			t.Fatalf("error quotes the DSN: %v", err)
		}
	}
	if _, err := New().Connector(tmpl, tenantconfig.DataSource{Name: "x", Port: 70000}); err == nil {
		t.Fatal("port 70000 accepted")
	}
}
