package tenantfile

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// The tenant, service and alias of the one-database files below.
const (
	tenantPath = `$.tenant_config["tenant-1.localhost"]`
	dbPath     = tenantPath + `.hospital.orm_config.gorm.default`
)

// withDB is a file whose one tenant has one database, db.
func withDB(db string) string {
	return `{"tenant_config": {"tenant-1.localhost": {"hospital": {"orm_config": {"gorm": {"default": ` + db + `}}}}}}`
}

// withService is a file whose one tenant has one service, svc.
func withService(svc string) string {
	return `{"tenant_config": {"tenant-1.localhost": {"hospital": ` + svc + `}}}`
}

// withTenant is a file with one tenant and a valid database.
func withTenant(id string) string {
	return `{"tenant_config": {` + quote(id) + `: {"hospital": {"orm_config": {"gorm": {"default": {"name": "t"}}}}}}}`
}

// withMapping is a valid file with a mapping_metadata.
func withMapping(m string) string {
	return `{"mapping_metadata": ` + m + `, "tenant_config": {}}`
}

func TestParseValid(t *testing.T) {
	data, err := os.ReadFile("testdata/tenant_config.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(data, WithDrivers("postgres", "sqlite"), WithService("hospital"))
	if err != nil {
		t.Fatal(err)
	}
	want := &File{
		MappingMetadata: map[string]string{
			"POSTGRES_URL": "orm_config.gorm.default.dsn",
			"REDIS_URL":    "cache_config.default.url",
		},
		Tenants: map[string]map[string]tenantconfig.Config{
			"tenant-1.localhost": {
				"hospital": {
					ORM: map[string]map[string]tenantconfig.Database{"gorm": {"default": {DataSource: tenantconfig.DataSource{
						Driver: "postgres",
						DSN:    "postgres://t1:t1-secret@db1.internal:5432/tenant1?sslmode=disable",
					}}}},
					Cache: map[string]tenantconfig.Cache{"default": {URL: "redis://:cache-secret@127.0.0.1:6379/1"}},
				},
			},
			"tenant-2.localhost": {
				"hospital": {ORM: map[string]map[string]tenantconfig.Database{"gorm": {
					"default": {
						DataSource: tenantconfig.DataSource{
							Host: "db2.internal", Port: 6432, Name: "tenant2", User: "t2", Password: "t2-secret",
							Params: map[string]string{"search_path": "tenant2", "application_name": "hospital"},
						},
						Replicas: []tenantconfig.DataSource{
							{Host: "db2-replica.internal", Password: "t2-replica-secret"},
							{DSN: "host=db2-r2 user=t2 password='t2 r2 secret' dbname=tenant2"},
						},
					},
					"analytics": {DataSource: tenantconfig.DataSource{Name: "tenant2_analytics"}},
				}}},
				"billing": {ORM: map[string]map[string]tenantconfig.Database{"gorm": {"default": {DataSource: tenantconfig.DataSource{
					Driver: "sqlite", Name: "data/tenant2-billing.db",
				}}}}},
			},
		},
	}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("Parse =\n%#v\nwant\n%#v", f, want)
	}
	if got := f.Service("billing"); len(got) != 1 || got["tenant-2.localhost"].ORM["gorm"]["default"].Name != "data/tenant2-billing.db" {
		t.Fatalf("Service(billing) = %v", got)
	}
	if got := f.Service("hospital"); len(got) != 2 {
		t.Fatalf("Service(hospital) = %v", got)
	}
	if got := f.Service("nope"); len(got) != 0 {
		t.Fatalf("Service(nope) = %v", got)
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		data string
		want tenantconfig.Database // of the tenant-1.localhost/hospital/gorm/default database
	}{
		{"dsn only", withDB(`{"dsn": "postgres://h/db"}`), tenantconfig.Database{DataSource: tenantconfig.DataSource{DSN: "postgres://h/db"}}},
		{"dsn with empty params", withDB(`{"dsn": "x.db", "params": {}}`), tenantconfig.Database{DataSource: tenantconfig.DataSource{DSN: "x.db"}}},
		{"one field", withDB(`{"user": "u"}`), tenantconfig.Database{DataSource: tenantconfig.DataSource{User: "u"}}},
		{"params only", withDB(`{"params": {"search_path": ""}}`), tenantconfig.Database{DataSource: tenantconfig.DataSource{Params: map[string]string{"search_path": ""}}}},
		{"integral port forms", withDB(`{"port": 5.432e3}`), tenantconfig.Database{DataSource: tenantconfig.DataSource{Port: 5432}}},
		{"port 1.0", withDB(`{"port": 1.0}`), tenantconfig.Database{DataSource: tenantconfig.DataSource{Port: 1}}},
		{"empty replicas", withDB(`{"name": "n", "replicas": []}`), tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: "n"}}},
		{"replica driver", withDB(`{"name": "n", "replicas": [{"driver": "postgres", "host": "r"}]}`),
			tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: "n"}, Replicas: []tenantconfig.DataSource{{Driver: "postgres", Host: "r"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.data), WithDrivers("postgres"))
			if err != nil {
				t.Fatal(err)
			}
			got := f.Tenants["tenant-1.localhost"]["hospital"].ORM["gorm"]["default"]
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
	f, err := Parse([]byte(`{"mapping_metadata": {}, "tenant_config": {}}`), WithService("hospital"))
	if err != nil || f.MappingMetadata != nil || f.Tenants == nil || len(f.Tenants) != 0 {
		t.Fatalf("empty file: %#v, %v", f, err)
	}
}

// problem is a problem a rejected file must report: the exact path, and
// a part of the message.
type problem struct{ path, msg string }

func TestParseRejects(t *testing.T) {
	pg := []Option{WithDrivers("postgres", "sqlite")}
	tests := []struct {
		name string
		data string
		opts []Option
		want []problem
	}{
		// Syntax.
		{"malformed", `{"tenant_config": {,}}`, nil, []problem{{"$", "invalid JSON at line 1, column 20 (byte offset 19): invalid character looking for beginning of object key string"}}},
		{"malformed line", "{\n  \"tenant_config\": {\n    \"t\": x\n  }\n}", nil, []problem{{"$", "line 3, column 10"}}},
		{"truncated", `{"tenant_config": {`, nil, []problem{{"$", "unexpected end of JSON input"}}},
		{"empty input", ``, nil, []problem{{"$", "invalid JSON at line 1, column 1"}}},
		{"trailing data", `{"tenant_config": {}} {}`, nil, []problem{{"$", "after top-level value"}}},
		{"not UTF-8", "{\"tenant_config\": {\"t\xff\": {}}}", nil, []problem{{"$", "not valid UTF-8 at line 1, column 22 (byte offset 21)"}}},

		// Top level.
		{"not an object", `[]`, nil, []problem{{"$", "expected object, got array"}}},
		{"unknown top-level field", `{"tenant_config": {}, "tenants": {}}`, nil, []problem{{"$.tenants", "unknown field (allowed: mapping_metadata, tenant_config)"}}},
		{"missing tenant_config", `{}`, nil, []problem{{"$", `missing field "tenant_config"`}}},
		{"tenant_config not an object", `{"tenant_config": "t"}`, nil, []problem{{"$.tenant_config", "expected object, got string"}}},
		{"duplicate tenant", `{"tenant_config": {"t": {"s": {"orm_config": {"o": {"a": {"name": "x"}}}}}, "t": {"s": {"orm_config": {"o": {"a": {"name": "y"}}}}}}}`, nil,
			[]problem{{"$.tenant_config.t", "duplicate key"}}},

		// Tenants.
		{"tenant id too long", withTenant(strings.Repeat("a", 129)), nil, []problem{{`$.tenant_config.` + strings.Repeat("a", 129), "129 bytes, at most 128"}}},
		{"tenant id non-ASCII too long", withTenant(strings.Repeat("é", 65)), nil, []problem{{`$.tenant_config["` + strings.Repeat("é", 65) + `"]`, "130 bytes"}}},
		{"tenant id control character", withTenant("t\x01"), nil, []problem{{`$.tenant_config["t\u0001"]`, "invalid tenant id"}}},
		{"tenant id slash", withTenant("a/b"), nil, []problem{{`$.tenant_config["a/b"]`, "invalid tenant id"}}},
		{"tenant id backslash", withTenant(`a\b`), nil, []problem{{`$.tenant_config["a\\b"]`, "invalid tenant id"}}},
		{"tenant id dot dot", withTenant("a..b"), nil, []problem{{`$.tenant_config["a..b"]`, `contains ".."`}}},
		{"tenant id empty", withTenant(""), nil, []problem{{`$.tenant_config[""]`, "invalid tenant id: empty"}}},
		{"tenant not an object", `{"tenant_config": {"tenant-1.localhost": ["hospital"]}}`, nil, []problem{{tenantPath, "expected object, got array"}}},
		{"tenant without services", `{"tenant_config": {"tenant-1.localhost": {}}}`, nil, []problem{{tenantPath, "tenant has no services"}}},
		{"missing service", withDB(`{"name": "n"}`), []Option{WithService("billing")}, []problem{{tenantPath, `missing service "billing"`}}},
		{"empty service name", `{"tenant_config": {"t": {"": {"orm_config": {"o": {"a": {"name": "x"}}}}}}}`, nil, []problem{{`$.tenant_config.t[""]`, "empty service name"}}},

		// Services.
		{"service not an object", withService(`"postgres://u:p@h/db"`), nil, []problem{{tenantPath + ".hospital", "expected object, got string"}}},
		{"unknown service field", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "orm": {}}`), nil, []problem{{tenantPath + ".hospital.orm", "unknown field (allowed: orm_config, cache_config)"}}},
		{"missing orm_config", withService(`{"cache_config": {}}`), nil, []problem{{tenantPath + ".hospital", `missing field "orm_config"`}}},
		{"orm_config not an object", withService(`{"orm_config": []}`), nil, []problem{{tenantPath + ".hospital.orm_config", "expected object, got array"}}},
		{"no ORM", withService(`{"orm_config": {}}`), nil, []problem{{tenantPath + ".hospital.orm_config", "no ORM configured"}}},
		{"no alias", withService(`{"orm_config": {"gorm": {}}}`), nil, []problem{{tenantPath + ".hospital.orm_config.gorm", "no database alias configured"}}},
		{"empty ORM id", withService(`{"orm_config": {"": {"default": {"name": "n"}}}}`), nil, []problem{{tenantPath + `.hospital.orm_config[""]`, "empty ORM id"}}},
		{"empty alias", withService(`{"orm_config": {"gorm": {"": {"name": "n"}}}}`), nil, []problem{{tenantPath + `.hospital.orm_config.gorm[""]`, "empty alias"}}},
		{"aliases not an object", withService(`{"orm_config": {"gorm": "postgres://u:p@h/db"}}`), nil, []problem{{tenantPath + ".hospital.orm_config.gorm", "expected object, got string"}}},

		// Caches.
		{"cache_config not an object", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": "redis://h"}`), nil,
			[]problem{{tenantPath + ".hospital.cache_config", "expected object, got string"}}},
		{"cache not an object", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"default": "redis://h"}}`), nil,
			[]problem{{tenantPath + ".hospital.cache_config.default", "expected object, got string"}}},
		{"unknown cache field", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"default": {"url": "redis://h", "db": 1}}}`), nil,
			[]problem{{tenantPath + ".hospital.cache_config.default.db", "unknown field (allowed: url)"}}},
		{"missing cache url", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"default": {}}}`), nil,
			[]problem{{tenantPath + ".hospital.cache_config.default", `missing field "url"`}}},
		{"cache url not a string", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"default": {"url": 6379}}}`), nil,
			[]problem{{tenantPath + ".hospital.cache_config.default.url", "expected string, got number"}}},
		{"cache url not a URL", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"default": {"url": "127.0.0.1:6379"}}}`), nil,
			[]problem{{tenantPath + ".hospital.cache_config.default.url", "not a URL"}}},
		{"empty cache alias", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"": {"url": "redis://h"}}}`), nil,
			[]problem{{tenantPath + `.hospital.cache_config[""]`, "empty alias"}}},

		// Databases.
		{"database not an object", withDB(`"postgres://u:p@h/db"`), nil, []problem{{dbPath, "expected object, got string"}}},
		{"unknown database field", withDB(`{"name": "n", "hostname": "h"}`), nil,
			[]problem{{dbPath + ".hostname", "unknown field (allowed: driver, dsn, host, port, name, user, password, params, replicas)"}}},
		{"no settings", withDB(`{}`), nil, []problem{{dbPath, "no database settings"}}},
		{"driver only", withDB(`{"driver": "postgres"}`), nil, []problem{{dbPath, "no database settings"}}},
		{"empty params only", withDB(`{"params": {}}`), nil, []problem{{dbPath, "no database settings"}}},
		{"empty dsn", withDB(`{"dsn": ""}`), nil, []problem{{dbPath + ".dsn", "empty string"}}},
		{"empty host", withDB(`{"host": ""}`), nil, []problem{{dbPath + ".host", "empty string"}}},
		{"dsn and fields", withDB(`{"dsn": "postgres://h/db", "host": "h2", "params": {"a": "b"}}`), nil,
			[]problem{{dbPath + ".host", "ignored when dsn is set"}, {dbPath + ".params", "ignored when dsn is set"}}},
		{"unsupported driver", withDB(`{"driver": "mysql", "dsn": "u:p@tcp(h)/db"}`), pg,
			[]problem{{dbPath + ".driver", `unsupported driver "mysql" (allowed: postgres, sqlite)`}}},
		{"driver not a string", withDB(`{"driver": 1, "name": "n"}`), pg, []problem{{dbPath + ".driver", "expected string, got number"}}},
		{"empty driver", withDB(`{"driver": "", "name": "n"}`), pg, []problem{{dbPath + ".driver", "empty string"}}},
		{"dsn not a string", withDB(`{"dsn": {"host": "h"}}`), nil, []problem{{dbPath + ".dsn", "expected string, got object"}}},
		{"host null", withDB(`{"host": null}`), nil, []problem{{dbPath + ".host", "expected string, got null"}}},
		{"password number", withDB(`{"password": 1234}`), nil, []problem{{dbPath + ".password", "expected string, got number"}}},
		{"port string", withDB(`{"port": "5432"}`), nil, []problem{{dbPath + ".port", "expected integer, got string"}}},
		{"port fraction", withDB(`{"port": 5432.5}`), nil, []problem{{dbPath + ".port", "port must be an integer from 1 to 65535"}}},
		{"port tiny fraction", withDB(`{"port": 5432.0000000000000000001}`), nil, []problem{{dbPath + ".port", "port must be an integer"}}},
		{"port zero", withDB(`{"port": 0}`), nil, []problem{{dbPath + ".port", "port must be an integer from 1 to 65535"}}},
		{"port too big", withDB(`{"port": 65536}`), nil, []problem{{dbPath + ".port", "port must be an integer from 1 to 65535"}}},
		{"port huge exponent", withDB(`{"port": 1e999999999}`), nil, []problem{{dbPath + ".port", "port must be an integer"}}},
		{"params not an object", withDB(`{"params": "a=b"}`), nil, []problem{{dbPath + ".params", "expected object, got string"}}},
		{"param not a string", withDB(`{"params": {"statement_timeout": 5}}`), nil, []problem{{dbPath + ".params.statement_timeout", "expected string, got number"}}},
		{"empty param name", withDB(`{"params": {"": "x"}}`), nil, []problem{{dbPath + `.params[""]`, "empty parameter name"}}},
		{"version", withDB(`{"name": "n", "version": 3}`), nil, []problem{{dbPath + ".version", "versions are assigned by the store"}}},
		{"version zero", withDB(`{"name": "n", "version": 0}`), nil, []problem{{dbPath + ".version", "versions are assigned by the store"}}},
		{"duplicate field", withDB(`{"name": "n", "name": "m"}`), nil, []problem{{dbPath + ".name", "duplicate key"}}},

		// Replicas.
		{"replicas not an array", withDB(`{"name": "n", "replicas": {"host": "r"}}`), nil, []problem{{dbPath + ".replicas", "expected array, got object"}}},
		{"replica not an object", withDB(`{"name": "n", "replicas": ["postgres://r"]}`), nil, []problem{{dbPath + ".replicas[0]", "expected object, got string"}}},
		{"replica without settings", withDB(`{"name": "n", "replicas": [{"host": "r"}, {}]}`), nil, []problem{{dbPath + ".replicas[1]", "no database settings"}}},
		{"replica with replicas", withDB(`{"name": "n", "replicas": [{"host": "r", "replicas": []}]}`), nil, []problem{{dbPath + ".replicas[0].replicas", "a replica has no replicas"}}},
		{"replica version", withDB(`{"name": "n", "replicas": [{"host": "r", "version": 1}]}`), nil, []problem{{dbPath + ".replicas[0].version", "versions are assigned by the store"}}},
		{"replica unknown field", withDB(`{"name": "n", "replicas": [{"host": "r", "weight": 2}]}`), nil,
			[]problem{{dbPath + ".replicas[0].weight", "unknown field (allowed: driver, dsn, host, port, name, user, password, params)"}}},
		{"replica driver", withDB(`{"name": "n", "replicas": [{"host": "r", "driver": "mysql"}]}`), pg, []problem{{dbPath + ".replicas[0].driver", `unsupported driver "mysql"`}}},
		{"replica port", withDB(`{"name": "n", "replicas": [{"port": -1}]}`), nil, []problem{{dbPath + ".replicas[0].port", "port must be an integer"}}},

		// Deployment keys.
		{"mapping not an object", withMapping(`["POSTGRES_URL"]`), nil, []problem{{"$.mapping_metadata", "expected object, got array"}}},
		{"mapping value not a string", withMapping(`{"POSTGRES_PORT": 5432}`), nil, []problem{{"$.mapping_metadata.POSTGRES_PORT", "expected string, got number"}}},
		{"empty deployment key", withMapping(`{"": "orm_config.gorm.default.dsn"}`), nil, []problem{{`$.mapping_metadata[""]`, "empty deployment key"}}},
		{"path too short", withMapping(`{"DB": "orm_config.gorm.default"}`), nil, []problem{{"$.mapping_metadata.DB", "not a config path: want orm_config.<orm>.<alias>.<field>"}}},
		{"path unknown field", withMapping(`{"DB": "orm_config.gorm.default.params"}`), nil, []problem{{"$.mapping_metadata.DB", "not a config path"}}},
		{"path version", withMapping(`{"DB": "orm_config.gorm.default.version"}`), nil, []problem{{"$.mapping_metadata.DB", "not a config path"}}},
		{"path empty part", withMapping(`{"DB": "orm_config..default.dsn"}`), nil, []problem{{"$.mapping_metadata.DB", "not a config path"}}},
		{"path cache field", withMapping(`{"REDIS": "cache_config.default.host"}`), nil, []problem{{"$.mapping_metadata.REDIS", "not a config path"}}},
		{"path unknown root", withMapping(`{"DB": "db_config.gorm.default.dsn"}`), nil, []problem{{"$.mapping_metadata.DB", "not a config path"}}},
		{"empty path", withMapping(`{"DB": ""}`), nil, []problem{{"$.mapping_metadata.DB", "not a config path"}}},
		{"two keys one path", withMapping(`{"A": "orm_config.gorm.default.dsn", "B": "orm_config.gorm.default.dsn"}`), nil,
			[]problem{{"$.mapping_metadata.B", `same config path as "A"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.data), tt.opts...)
			checkProblems(t, f, err, tt.want)
		})
	}
}

// checkProblems checks that Parse returned nothing but an error with the
// wanted problems.
func checkProblems(t *testing.T, f *File, err error, want []problem) {
	t.Helper()
	if f != nil {
		t.Errorf("a partial file came back: %#v", f)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, not ErrInvalid", err)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) == 0 {
		t.Fatalf("err = %#v, not a *ValidationError with problems", err)
	}
	for _, w := range want {
		found := false
		for _, p := range ve.Problems {
			if p.Path == w.path && strings.Contains(p.Message, w.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem %s: %s...; got\n%v", w.path, w.msg, err)
		}
	}
}

// TestParseReportsEveryProblem: one file, one problem at each level, all
// reported in document order.
func TestParseReportsEveryProblem(t *testing.T) {
	data := `{
  "extra": 1,
  "mapping_metadata": {"POSTGRES_URL": "orm_config.gorm.default", "": "cache_config.default.url"},
  "tenant_config": {
    "tenant-1.localhost": {
      "hospital": {
        "orm_config": {"gorm": {"default": {"driver": "mysql", "dsn": "", "version": 2, "port": "x"}}},
        "cache_config": {"default": {"url": "redis://h", "ttl": 60}},
        "queue_config": {}
      }
    },
    "a/b": {},
    "tenant-3": {"billing": {"orm_config": {"gorm": {"default": {}}}}}
  }
}`
	f, err := Parse([]byte(data), WithDrivers("postgres"), WithService("hospital"))
	want := []Problem{
		{"$.extra", "unknown field (allowed: mapping_metadata, tenant_config)"},
		{"$.mapping_metadata.POSTGRES_URL", "not a config path: want " + targetGrammar},
		{`$.mapping_metadata[""]`, "empty deployment key"},
		{dbPath + ".driver", `unsupported driver "mysql" (allowed: postgres)`},
		{dbPath + ".dsn", "empty string (omit the field instead)"},
		{dbPath + ".version", "versions are assigned by the store: remove the field"},
		{dbPath + ".port", "expected integer, got string"},
		{dbPath + ".port", "ignored when dsn is set: remove it or the dsn"},
		{tenantPath + ".hospital.cache_config.default.ttl", "unknown field (allowed: url)"},
		{tenantPath + ".hospital.queue_config", "unknown field (allowed: orm_config, cache_config)"},
		{`$.tenant_config["a/b"]`, `invalid tenant id: character '/' at byte 1`},
		{`$.tenant_config["a/b"]`, "tenant has no services"},
		{`$.tenant_config["tenant-3"].billing.orm_config.gorm.default`, "no database settings: set dsn, or at least one of host, port, name, user, password, params"},
		{`$.tenant_config["tenant-3"]`, `missing service "hospital"`},
	}
	if f != nil {
		t.Fatalf("partial file: %#v", f)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	if !reflect.DeepEqual(ve.Problems, want) {
		t.Fatalf("problems:\n%v\nwant:\n%v", ve, &ValidationError{Problems: want})
	}
	if !strings.HasPrefix(err.Error(), "tenantfile: invalid tenant config: 14 problems:\n\t$.extra: unknown field") {
		t.Fatalf("Error() = %q", err)
	}
}

func TestValidationErrorOneProblem(t *testing.T) {
	_, err := Parse([]byte(`{}`))
	if got, want := err.Error(), `tenantfile: invalid tenant config: $: missing field "tenant_config"`; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

// TestErrorsHideSecrets: secrets in every kind of wrong place never show
// in an error.
func TestErrorsHideSecrets(t *testing.T) {
	const secret = "hunter2"
	dsn := "postgres://app:" + secret + "@db.internal:5432/app"
	tests := []struct {
		name string
		data string
		opts []Option
	}{
		{"dsn and fields", withDB(`{"dsn": "` + dsn + `", "password": "` + secret + `"}`), nil},
		{"password wrong type", withDB(`{"password": ["` + secret + `"]}`), nil},
		{"dsn as the driver", withDB(`{"driver": "` + dsn + `", "name": "n"}`), []Option{WithDrivers("postgres")}},
		{"dsn as a mapping path", withMapping(`{"POSTGRES_URL": "` + dsn + `"}`), nil},
		{"dsn as a database", withDB(`"` + dsn + `"`), nil},
		{"bad cache url", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"default": {"url": ":` + secret + `@h"}}}`), nil},
		{"cache url and fields", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"default": {"url": "redis://:` + secret + `@h", "password": "` + secret + `"}}}`), nil},
		{"syntax error in the dsn", withDB(`{"dsn": "postgres://app:` + secret + `"x@h/db"}`), nil},
		{"syntax error in the password", withDB(`{"password": "h` + "\x01" + `unter2"}`), nil},
		{"missing service", withDB(`{"dsn": "` + dsn + `", "version": 1}`), []Option{WithService("billing")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data), tt.opts...)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, s := range []string{secret, "hunter", "db.internal", "postgres://"} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error shows %q: %v", s, err)
				}
			}
		})
	}
}
