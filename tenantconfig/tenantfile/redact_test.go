package tenantfile

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

func TestRedactDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"postgres://user:secret@host/db", "postgres://user:[redacted]@host/db"},
		{"postgresql://user:secret@host:5432,host2:5433/db?sslmode=require", "postgresql://user:[redacted]@host:5432,host2:5433/db?sslmode=require"},
		{"postgres://user@host/db", "postgres://user@host/db"},
		{"postgres://host/db", "postgres://host/db"},
		{"postgres://user:p%40ss@host/db", "postgres://user:[redacted]@host/db"},
		{"postgres://user:p@ss@host/db", "postgres://user:[redacted]@host/db"},
		{"postgres://host/db?user=u&password=secret&sslmode=disable", "postgres://host/db?user=u&password=[redacted]&sslmode=disable"},
		{"postgres://host/db?sslpassword=secret#frag", "postgres://host/db?sslpassword=[redacted]#frag"},
		{"postgres://u:12/secret@host/db", "[redacted]"}, // a '/' in the password
		{"postgres://u:1?secret@host/db", "[redacted]"},  // a '?' in the password
		{"postgres://u:p%zz@host/db", "[redacted]"},      // does not parse
		{"redis://:secret@127.0.0.1:6379/1", "redis://:[redacted]@127.0.0.1:6379/1"},
		{"rediss://default:secret@cache:6380", "rediss://default:[redacted]@cache:6380"},
		{"host=h user=u password=secret dbname=d", "host=h user=u password=[redacted] dbname=d"},
		{"host=h password = 'se cr\\'et' dbname=d", "host=h password = [redacted] dbname=d"},
		{"password=secret", "password=[redacted]"},
		{"  host=h\tpassword=se\\ cret  ", "  host=h\tpassword=[redacted]  "},
		{"host=h password='unterminated", "[redacted]"},
		{"host=h password", "[redacted]"},
		{"host=h password=x://secret", "host=h password=[redacted]"},
		{"data/acme.db", "data/acme.db"},
		{"data/acme.db?_pragma=busy_timeout(5000)", "data/acme.db?_pragma=busy_timeout(5000)"},
		{"file:acme.db?cache=shared&_auth_pass=secret", "file:acme.db?cache=shared&_auth_pass=[redacted]"},
		{":memory:", ":memory:"},
		{"user:secret@tcp(host:3306)/db", "[redacted]"},
		{"Server=h;Password=secret", "[redacted]"},
	}
	for _, tt := range tests {
		if got := redactDSN(tt.in); got != tt.want {
			t.Errorf("redactDSN(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	in := tenantconfig.Config{
		ORM: map[string]map[string]tenantconfig.Database{"gorm": {
			"default": {DataSource: tenantconfig.DataSource{DSN: "postgres://u:secret1@h/db"}, Version: 7},
			"other": {
				DataSource: tenantconfig.DataSource{Host: "h", User: "u", Password: "secret2", Params: map[string]string{"search_path": "s", "sslpassword": "secret3"}},
				Replicas:   []tenantconfig.DataSource{{Host: "r", Password: "secret4"}, {DSN: "host=r2 password=secret5"}},
			},
		}},
		Cache: map[string]tenantconfig.Cache{"default": {URL: "redis://:secret6@cache:6379/1"}},
	}
	orig := in.Clone()
	want := tenantconfig.Config{
		ORM: map[string]map[string]tenantconfig.Database{"gorm": {
			"default": {DataSource: tenantconfig.DataSource{DSN: "postgres://u:[redacted]@h/db"}, Version: 7},
			"other": {
				DataSource: tenantconfig.DataSource{Host: "h", User: "u", Password: "[redacted]", Params: map[string]string{"search_path": "s", "sslpassword": "[redacted]"}},
				Replicas:   []tenantconfig.DataSource{{Host: "r", Password: "[redacted]"}, {DSN: "host=r2 password=[redacted]"}},
			},
		}},
		Cache: map[string]tenantconfig.Cache{"default": {URL: "redis://:[redacted]@cache:6379/1"}},
	}
	got := Redact(in)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Redact =\n%#v\nwant\n%#v", got, want)
	}
	if !reflect.DeepEqual(in, orig) {
		t.Fatalf("Redact modified its argument: %#v", in)
	}
	if s := fmtAll(got); strings.Contains(s, "secret") {
		t.Fatalf("a secret is left: %s", s)
	}
	if !reflect.DeepEqual(Redact(tenantconfig.Config{}), tenantconfig.Config{}) {
		t.Fatal("zero config")
	}
}

func fmtAll(c tenantconfig.Config) string {
	var b strings.Builder
	for k, v := range flatten(c) {
		b.WriteString(k + "=" + v + "\n")
	}
	return b.String()
}
