package pgdriver

import (
	"errors"
	"strings"
	"testing"

	"gorm.io/driver/postgres"

	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestPoolerDeclaration: which data sources keep no prepared statement,
// which are refused, and that neither pgbouncer nor a tenant's
// default_query_exec_mode param reaches the server as a run-time
// parameter.
func TestPoolerDeclaration(t *testing.T) {
	const tmpl = "postgres://h/db?sslmode=disable"
	simple, err := pgDriver{}.WithDialector(postgres.New(postgres.Config{DSN: tmpl, PreferSimpleProtocol: true}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		d          dbdriver.Driver
		tmpl       string
		ds         tenantconfig.DataSource
		unprepared bool
		refused    bool
	}{
		{name: "defaults", d: pgDriver{}, ds: tenantconfig.DataSource{Name: "a"}},
		{name: "simple protocol from the dialector", d: simple, ds: tenantconfig.DataSource{Name: "a"}, unprepared: true},
		{name: "exec in the dsn", d: pgDriver{}, ds: tenantconfig.DataSource{DSN: tmpl + "&default_query_exec_mode=exec"}, unprepared: true},
		{name: "cache_describe, direct", d: pgDriver{}, ds: tenantconfig.DataSource{DSN: tmpl + "&default_query_exec_mode=cache_describe"}},
		{name: "declared, default mode", d: pgDriver{}, ds: tenantconfig.DataSource{DSN: tmpl + "&pgbouncer=transaction"}, refused: true},
		{name: "declared statement mode", d: pgDriver{}, ds: tenantconfig.DataSource{DSN: tmpl + "&pgbouncer=statement"}, refused: true},
		{name: "declared in the template", d: pgDriver{}, tmpl: tmpl + "&pgbouncer=transaction", ds: tenantconfig.DataSource{Name: "a"}, refused: true},
		{name: "template's declaration, tenant's own dsn", d: pgDriver{}, tmpl: tmpl + "&pgbouncer=transaction", ds: tenantconfig.DataSource{DSN: tmpl}},
		{name: "tenant's session mode over the template's", d: pgDriver{}, tmpl: tmpl + "&pgbouncer=transaction",
			ds: tenantconfig.DataSource{Name: "a", Params: map[string]string{"PgBouncer": "session"}}},
		{name: "declared, simple protocol", d: simple, ds: tenantconfig.DataSource{DSN: tmpl + "&pgbouncer=transaction"}, unprepared: true},
		{name: "declared, cache_describe", d: pgDriver{}, ds: tenantconfig.DataSource{DSN: tmpl + "&pgbouncer=transaction&default_query_exec_mode=cache_describe"}, unprepared: true},
		{name: "declared, describe_exec", d: pgDriver{}, ds: tenantconfig.DataSource{DSN: tmpl + "&pgbouncer=transaction&default_query_exec_mode=describe_exec"}, refused: true},
		{name: "declared in params, exec in params", d: pgDriver{},
			ds: tenantconfig.DataSource{Name: "a", Params: map[string]string{"pgbouncer": "transaction", "default_query_exec_mode": "exec"}}, unprepared: true},
		{name: "session mode", d: pgDriver{}, ds: tenantconfig.DataSource{DSN: tmpl + "&pgbouncer=session"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.tmpl == "" {
				tt.tmpl = tmpl
			}
			c, err := tt.d.Connector(tt.tmpl, tt.ds)
			if tt.refused {
				if !errors.Is(err, ErrPreparedThroughPooler) || !strings.Contains(err.Error(), "PreferSimpleProtocol") {
					t.Fatalf("err = %v, want ErrPreparedThroughPooler naming the remedy", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.(dbdriver.UnpreparedConnector).Unprepared(); got != tt.unprepared {
				t.Fatalf("Unprepared() = %v, want %v", got, tt.unprepared)
			}
		})
	}
	cc, _, err := connConfig(tmpl+"&pgbouncer=transaction", tenantconfig.DataSource{Name: "a", Params: map[string]string{"default_query_exec_mode": "exec", "application_name": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cc.RuntimeParams) != 1 || cc.RuntimeParams["application_name"] != "x" {
		t.Fatalf("run-time params %v, want application_name alone", cc.RuntimeParams)
	}
	for _, p := range []map[string]string{{"pgbouncer": "yes"}, {"default_query_exec_mode": "fast"}} {
		if _, err := (pgDriver{}).Connector(tmpl, tenantconfig.DataSource{Name: "a", Params: p}); err == nil {
			t.Errorf("params %v accepted", p)
		}
	}
}
