package tenanttest_test

import (
	"context"
	"strings"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenanttest"
)

// TestBadOptions: each bad option fails New, naming it, before anything
// is made; an admin URL's password is never printed.
func TestBadOptions(t *testing.T) {
	noop := func(context.Context, *gorm.DB) error { return nil }
	tests := []struct {
		name string
		opts []tenanttest.Option
		want string
	}{
		{"nil option", []tenanttest.Option{nil}, "option 0 is nil"},
		{"negative tenants", []tenanttest.Option{tenanttest.Tenants(-1)}, "Tenants(-1)"},
		{"no ids", []tenanttest.Option{tenanttest.TenantIDs()}, "TenantIDs: no id"},
		{"invalid id", []tenanttest.Option{tenanttest.TenantIDs("a/b")}, "TenantIDs: tenant: invalid tenant id"},
		{"id twice", []tenanttest.Option{tenanttest.TenantIDs("a", "a")}, `"a" given twice`},
		{"tenants twice", []tenanttest.Option{tenanttest.Tenants(1), tenanttest.TenantIDs("a")}, "already given by Tenants"},
		{"empty URL", []tenanttest.Option{tenanttest.Postgres("")}, "Postgres: empty admin URL"},
		{"bad URL", []tenanttest.Option{tenanttest.Postgres("postgres://app:s3cret@db:99999/x")}, "Postgres: admin URL does not parse"},
		{"bad URL escape", []tenanttest.Option{tenanttest.Postgres("postgres://app:s3cret@db/%zz")}, "Postgres: admin URL does not parse"},
		{"nil model", []tenanttest.Option{tenanttest.Models(nil)}, "Models: model 0 is nil"},
		{"unnamed setup", []tenanttest.Option{tenanttest.Setup("", noop)}, "Setup(\"\")"},
		{"nil setup", []tenanttest.Option{tenanttest.Setup("seed", nil)}, "Setup(\"seed\")"},
		{"empty alias", []tenanttest.Option{tenanttest.Reserved("")}, "Reserved: empty alias"},
		{"alias twice", []tenanttest.Option{tenanttest.Reserved("x"), tenanttest.Reserved("x")}, `Reserved("x"): given twice`},
		{"nil reserved model", []tenanttest.Option{tenanttest.Reserved("x", nil)}, `Reserved("x"): model 0 is nil`},
		{"nil strategy", []tenanttest.Option{tenanttest.Strategies(nil)}, "Strategies: strategy 0 is nil"},
		{"plugin resolver", []tenanttest.Option{tenanttest.PluginConfig(tenantplugin.Config{Strategies: []tenantplugin.Strategy{}})}, "PluginConfig: Resolver, ReservedPools and Strategies are set by New"},
		{"nil gorm config", []tenanttest.Option{tenanttest.GormConfig(nil)}, "GormConfig: nil"},
		{"gorm plugins", []tenanttest.Option{tenanttest.GormConfig(&gorm.Config{Plugins: map[string]gorm.Plugin{"x": nil}})}, "GormConfig: Dialector, ConnPool and Plugins must be empty"},
		{"resolver template", []tenanttest.Option{tenanttest.ResolverConfig(resolver.Config{Template: resolver.Template{DSN: "x"}})}, "ResolverConfig: Template.Driver"},
		{"nil logger", []tenanttest.Option{tenanttest.Logger(nil)}, "Logger: nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeTB()
			var made bool
			f.run(func(tb testing.TB) {
				tenanttest.New(tb, tt.opts...)
				made = true
			})
			out := f.output()
			if made || !f.fatal {
				t.Fatalf("New went on: fatal %t; output %q", f.fatal, out)
			}
			if !strings.HasPrefix(out, "tenanttest: ") || !strings.Contains(out, tt.want) {
				t.Errorf("output %q, want it to say %q", out, tt.want)
			}
			if strings.Contains(out, "s3cret") {
				t.Errorf("output shows the password: %q", out)
			}
			if len(f.dirs) != 0 || len(f.cleanups) != 0 {
				t.Errorf("something was made before the options were checked: dirs %v, %d cleanups", f.dirs, len(f.cleanups))
			}
		})
	}
}

// TestUnreachableServer: a server that does not answer fails New with
// its reason, without the password.
func TestUnreachableServer(t *testing.T) {
	f := newFakeTB()
	f.run(func(tb testing.TB) {
		// Port 1 on loopback: nothing listens there.
		tenanttest.New(tb, tenanttest.Postgres("postgres://app:s3cret@127.0.0.1:1/x?connect_timeout=2&sslmode=disable"))
	})
	out := f.output()
	if !f.fatal || !strings.Contains(out, "postgres (postgres app@127.0.0.1:1)") || strings.Contains(out, "s3cret") {
		t.Errorf("fatal %t, output %q", f.fatal, out)
	}
}
