package tenantsetup_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	tenantsetup "github.com/tenantrouter/tenantplugin/setup"
)

// inDir runs the test in dir (FromEnv reads tenantplugin.env from the
// working directory).
func inDir(t *testing.T, dir string) {
	t.Helper()
	t.Chdir(dir)
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnv(t *testing.T) {
	inDir(t, t.TempDir())
	s, err := tenantsetup.FromEnv(env(map[string]string{
		tenantsetup.EnvTenants:  " redis://127.0.0.1:6379/0 ",
		tenantsetup.EnvService:  "hospital",
		tenantsetup.EnvReserved: "default=audit_logs, Plan ;",
		tenantsetup.EnvBypass:   "/healthz, /metrics",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := tenantsetup.Settings{
		Tenants:  "redis://127.0.0.1:6379/0",
		Service:  "hospital",
		Reserved: map[string][]string{"default": {"audit_logs", "Plan"}},
		Bypass:   []string{"/healthz", "/metrics"},
	}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("FromEnv = %+v, want %+v", s, want)
	}
}

func TestEnvFile(t *testing.T) {
	dir := t.TempDir()
	inDir(t, dir)
	file := "# comment\n\nTENANTPLUGIN_TENANTS=single:example.com\nTENANTPLUGIN_SERVICE = \"hospital\"\n"
	if err := os.WriteFile(filepath.Join(dir, tenantsetup.EnvFile), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := tenantsetup.FromEnv(env(map[string]string{tenantsetup.EnvService: "billing"}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Tenants != "single:example.com" || s.Service != "billing" {
		t.Fatalf("FromEnv = %+v: want the file's tenants and the environment's service", s)
	}
}

func TestBadSettings(t *testing.T) {
	for name, tc := range map[string]struct {
		file string
		env  map[string]string
		want string
	}{
		"unknown key in file": {file: "TENANTPLUGIN_TENANT=single:x\n", want: `tenantplugin.env:1: unknown setting "TENANTPLUGIN_TENANT"`},
		"line without =":      {file: "# ok\nTENANTPLUGIN_TENANTS\n", want: "tenantplugin.env:2: want KEY=VALUE"},
		"reserved no alias":   {env: map[string]string{tenantsetup.EnvReserved: "=audit_logs"}, want: `"=audit_logs": want ALIAS=NAME,NAME`},
		"reserved no names":   {env: map[string]string{tenantsetup.EnvReserved: "default= , "}, want: `alias "default" names no table or model`},
		"reserved twice":      {env: map[string]string{tenantsetup.EnvReserved: "default=a;default=b"}, want: `alias "default" given twice`},
		"reserved no =":       {env: map[string]string{tenantsetup.EnvReserved: "audit_logs"}, want: `"audit_logs": want ALIAS=NAME,NAME`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			inDir(t, dir)
			if tc.file != "" {
				if err := os.WriteFile(filepath.Join(dir, tenantsetup.EnvFile), []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := tenantsetup.FromEnv(env(tc.env))
			if !errors.Is(err, tenantsetup.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("FromEnv: %v; want ErrConfig with %q", err, tc.want)
			}
		})
	}
}
