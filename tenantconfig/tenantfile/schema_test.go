package tenantfile

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	if !json.Valid(Schema()) {
		t.Fatal("the schema is not valid JSON")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Schema string `json:"$schema"`
		ID     string `json:"$id"`
	}
	if err := json.Unmarshal(Schema(), &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("$schema = %q, want draft 2020-12", meta.Schema)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(meta.ID, doc); err != nil {
		t.Fatal(err)
	}
	// Compile checks the schema against the draft 2020-12 metaschema.
	sch, err := c.Compile(meta.ID)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return sch
}

// schemaSamples are files on which the schema and Parse (without
// options) must agree.
var schemaSamples = []struct {
	name  string
	data  string
	valid bool
}{
	{"example", "", true}, // testdata/tenant_config.json
	{"empty tenants", `{"tenant_config": {}}`, true},
	{"dsn", withDB(`{"driver": "postgres", "dsn": "postgres://u:p@h/db"}`), true},
	{"fields", withDB(`{"host": "h", "port": 5432, "name": "n", "user": "u", "password": "p", "params": {"a": ""}}`), true},
	{"dsn with empty params", withDB(`{"dsn": "x.db", "params": {}}`), true},
	{"port 5.432e3", withDB(`{"port": 5.432e3}`), true},
	{"replicas", withDB(`{"name": "n", "replicas": [{"host": "r"}, {"dsn": "postgres://r2/db", "driver": "postgres"}]}`), true},
	{"empty replicas", withDB(`{"name": "n", "replicas": []}`), true},
	{"cache", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"default": {"url": "redis://:p@h:6379/1"}, "b": {"url": "unix:///tmp/r.sock"}}}`), true},
	{"empty cache_config", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {}}`), true},
	{"mapping", withMapping(`{"A": "orm_config.gorm.default.dsn", "B": "orm_config.x.y.port", "C": "cache_config.default.url"}`), true},
	{"unicode tenant id", withTenant("hôpital-é"), true},
	{"tenant id 128 bytes", withTenant(strings.Repeat("a", 128)), true},

	{"not an object", `[]`, false},
	{"unknown top-level field", `{"tenant_config": {}, "x": 1}`, false},
	{"missing tenant_config", `{"mapping_metadata": {}}`, false},
	{"tenant_config null", `{"tenant_config": null}`, false},
	{"tenant without services", `{"tenant_config": {"t": {}}}`, false},
	{"empty service name", `{"tenant_config": {"t": {"": {"orm_config": {"o": {"a": {"name": "x"}}}}}}}`, false},
	{"tenant id too long", withTenant(strings.Repeat("a", 129)), false},
	{"tenant id empty", withTenant(""), false},
	{"tenant id control", withTenant("a\x7fb"), false},
	{"tenant id C1 control", withTenant("a\u0085b"), false},
	{"tenant id slash", withTenant("a/b"), false},
	{"tenant id backslash", withTenant(`a\b`), false},
	{"tenant id dot dot", withTenant("a..b"), false},
	{"unknown service field", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "x": {}}`), false},
	{"missing orm_config", withService(`{"cache_config": {}}`), false},
	{"no ORM", withService(`{"orm_config": {}}`), false},
	{"no alias", withService(`{"orm_config": {"gorm": {}}}`), false},
	{"empty ORM id", withService(`{"orm_config": {"": {"default": {"name": "n"}}}}`), false},
	{"empty alias", withService(`{"orm_config": {"gorm": {"": {"name": "n"}}}}`), false},
	{"unknown cache field", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"default": {"url": "redis://h", "db": 1}}}`), false},
	{"missing cache url", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"default": {}}}`), false},
	{"cache url without scheme", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"default": {"url": "h:6379"}}}`), false},
	{"cache not an object", withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"default": "redis://h"}}`), false},
	{"unknown database field", withDB(`{"name": "n", "x": 1}`), false},
	{"no settings", withDB(`{}`), false},
	{"driver only", withDB(`{"driver": "postgres"}`), false},
	{"empty params only", withDB(`{"params": {}}`), false},
	{"empty dsn", withDB(`{"dsn": ""}`), false},
	{"empty driver", withDB(`{"driver": "", "name": "n"}`), false},
	{"empty user", withDB(`{"user": ""}`), false},
	{"dsn and host", withDB(`{"dsn": "x", "host": "h"}`), false},
	{"dsn and params", withDB(`{"dsn": "x", "params": {"a": "b"}}`), false},
	{"port string", withDB(`{"port": "5432"}`), false},
	{"port fraction", withDB(`{"port": 5432.5}`), false},
	{"port zero", withDB(`{"port": 0}`), false},
	{"port too big", withDB(`{"port": 65536}`), false},
	{"param number", withDB(`{"params": {"a": 1}}`), false},
	{"empty param name", withDB(`{"params": {"": "x"}}`), false},
	{"version", withDB(`{"name": "n", "version": 1}`), false},
	{"replicas object", withDB(`{"name": "n", "replicas": {}}`), false},
	{"replica without settings", withDB(`{"name": "n", "replicas": [{}]}`), false},
	{"replica with replicas", withDB(`{"name": "n", "replicas": [{"host": "r", "replicas": []}]}`), false},
	{"replica version", withDB(`{"name": "n", "replicas": [{"host": "r", "version": 1}]}`), false},
	{"replica dsn and user", withDB(`{"name": "n", "replicas": [{"dsn": "x", "user": "u"}]}`), false},
	{"mapping number", withMapping(`{"A": 1}`), false},
	{"mapping empty key", withMapping(`{"": "orm_config.gorm.default.dsn"}`), false},
	{"mapping short path", withMapping(`{"A": "orm_config.gorm.default"}`), false},
	{"mapping params path", withMapping(`{"A": "orm_config.gorm.default.params"}`), false},
	{"mapping cache host", withMapping(`{"A": "cache_config.default.host"}`), false},
	{"mapping empty part", withMapping(`{"A": "orm_config..default.dsn"}`), false},
	{"mapping long path", withMapping(`{"A": "orm_config.gorm.default.dsn.x"}`), false},
}

// TestSchemaAgreesWithParse: the schema is valid draft 2020-12, and it
// accepts exactly the sample files that Parse accepts.
func TestSchemaAgreesWithParse(t *testing.T) {
	sch := compileSchema(t)
	example, err := os.ReadFile("testdata/tenant_config.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range schemaSamples {
		t.Run(s.name, func(t *testing.T) {
			data := []byte(s.data)
			if s.data == "" {
				data = example
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			schemaErr := sch.Validate(inst)
			_, parseErr := Parse(data)
			if (schemaErr == nil) != s.valid || (parseErr == nil) != s.valid {
				t.Fatalf("want valid=%v; schema: %v; Parse: %v", s.valid, schemaErr, parseErr)
			}
		})
	}
}

// TestSchemaKnownDifferences lists what only Parse refuses.
func TestSchemaKnownDifferences(t *testing.T) {
	sch := compileSchema(t)
	for _, data := range []string{
		withTenant(strings.Repeat("é", 65)), // 65 characters, 130 bytes
		`{"tenant_config": {}, "tenant_config": {}}`,
		withMapping(`{"A": "orm_config.gorm.default.dsn", "B": "orm_config.gorm.default.dsn"}`),
		withService(`{"orm_config": {"gorm": {"default": {"name": "n"}}}, "cache_config": {"default": {"url": "redis://h:port"}}}`),
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("the schema refuses %s: %v", data, err)
		}
		if _, err := Parse([]byte(data)); err == nil {
			t.Errorf("Parse accepts %s", data)
		}
	}
}
