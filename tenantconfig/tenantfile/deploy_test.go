package tenantfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

var deployMapping = map[string]string{
	"POSTGRES_URL":  "orm_config.gorm.default.dsn",
	"PG_HOST":       "orm_config.gorm.reports.host",
	"PG_PORT":       "orm_config.gorm.reports.port",
	"PG_PASSWORD":   "orm_config.gorm.reports.password",
	"PG_DRIVER":     "orm_config.gorm.reports.driver",
	"REDIS_URL":     "cache_config.default.url",
	"ANALYTICS_DSN": "orm_config.gorm.analytics.dsn",
}

func deployBase() tenantconfig.Config {
	return tenantconfig.Config{
		ORM: map[string]map[string]tenantconfig.Database{"gorm": {
			"default": {DataSource: tenantconfig.DataSource{Driver: "postgres", DSN: "postgres://dev@localhost/dev"}},
			"reports": {DataSource: tenantconfig.DataSource{Name: "reports", Params: map[string]string{"search_path": "r"}},
				Replicas: []tenantconfig.DataSource{{Host: "replica"}}},
		}},
	}
}

func TestDeploy(t *testing.T) {
	base := deployBase()
	got, err := Deploy(deployMapping, base, map[string]string{
		"POSTGRES_URL": "postgres://app:s3cret@db.prod:5432/app",
		"PG_HOST":      "reports.prod",
		"PG_PORT":      "6432",
		"PG_PASSWORD":  "pw",
		"REDIS_URL":    "redis://:c@cache.prod:6379/0",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := tenantconfig.Config{
		ORM: map[string]map[string]tenantconfig.Database{"gorm": {
			"default": {DataSource: tenantconfig.DataSource{Driver: "postgres", DSN: "postgres://app:s3cret@db.prod:5432/app"}},
			"reports": {DataSource: tenantconfig.DataSource{Host: "reports.prod", Port: 6432, Name: "reports", Password: "pw", Params: map[string]string{"search_path": "r"}},
				Replicas: []tenantconfig.DataSource{{Host: "replica"}}},
		}},
		Cache: map[string]tenantconfig.Cache{"default": {URL: "redis://:c@cache.prod:6379/0"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Deploy =\n%#v\nwant\n%#v", got, want)
	}
	if !reflect.DeepEqual(base, deployBase()) {
		t.Fatalf("base modified: %#v", base)
	}
	// The copy is deep: changing it leaves base alone.
	got.ORM["gorm"]["reports"].Params["search_path"] = "x"
	got.ORM["gorm"]["reports"].Replicas[0].Host = "x"
	if !reflect.DeepEqual(base, deployBase()) {
		t.Fatalf("result shares memory with base: %#v", base)
	}

	// A new alias, and no values at all.
	got, err = Deploy(deployMapping, base, map[string]string{"ANALYTICS_DSN": "postgres://a/b"})
	if err != nil || got.ORM["gorm"]["analytics"].DSN != "postgres://a/b" {
		t.Fatalf("new alias: %#v, %v", got, err)
	}
	got, err = Deploy(nil, base, nil)
	if err != nil || !reflect.DeepEqual(got, base) {
		t.Fatalf("no values: %#v, %v", got, err)
	}
	got, err = Deploy(map[string]string{"U": "orm_config.gorm.default.dsn"}, tenantconfig.Config{}, map[string]string{"U": "x.db"})
	if err != nil || got.ORM["gorm"]["default"].DSN != "x.db" {
		t.Fatalf("empty base: %#v, %v", got, err)
	}
}

func TestDeployRejects(t *testing.T) {
	const secret = "hunter2"
	tests := []struct {
		name    string
		mapping map[string]string
		base    tenantconfig.Config
		values  map[string]string
		want    []problem
	}{
		{"unknown key", deployMapping, deployBase(), map[string]string{"MYSQL_URL": "mysql://u:" + secret + "@h/db"},
			[]problem{{"$", `unknown deployment key "MYSQL_URL" (not in mapping_metadata)`}}},
		{"port not a number", deployMapping, deployBase(), map[string]string{"PG_PORT": secret},
			[]problem{{"$.orm_config.gorm.reports.port", "PG_PORT: port must be an integer from 1 to 65535"}}},
		{"port out of range", deployMapping, deployBase(), map[string]string{"PG_PORT": "70000"},
			[]problem{{"$.orm_config.gorm.reports.port", "PG_PORT: port must be an integer"}}},
		{"empty value", deployMapping, deployBase(), map[string]string{"PG_PASSWORD": ""},
			[]problem{{"$.orm_config.gorm.reports.password", "PG_PASSWORD: empty value"}}},
		{"cache url", deployMapping, deployBase(), map[string]string{"REDIS_URL": ":" + secret + "@cache:6379"},
			[]problem{{"$.cache_config.default.url", "REDIS_URL: not a URL"}}},
		{"bad mapping path", map[string]string{"X": "orm_config.gorm.default"}, deployBase(), map[string]string{"X": secret},
			[]problem{{"$.mapping_metadata.X", "not a config path"}}},
		{"empty mapping key", map[string]string{"": "orm_config.gorm.default.dsn"}, deployBase(), nil,
			[]problem{{`$.mapping_metadata[""]`, "empty deployment key"}}},
		{"two keys one path", map[string]string{"A": "orm_config.gorm.default.dsn", "B": "orm_config.gorm.default.dsn"}, deployBase(), nil,
			[]problem{{"$.mapping_metadata.B", `same config path as "A"`}}},
		{"result: dsn and fields", map[string]string{"H": "orm_config.gorm.default.host"}, deployBase(), map[string]string{"H": "h"},
			[]problem{{"$.orm_config.gorm.default.host", "ignored when dsn is set"}}},
		{"result: driver only", map[string]string{"D": "orm_config.gorm.new.driver"}, deployBase(), map[string]string{"D": "postgres"},
			[]problem{{"$.orm_config.gorm.new", "no database settings"}}},
		{"result: no orm_config", map[string]string{"R": "cache_config.default.url"}, tenantconfig.Config{}, map[string]string{"R": "redis://h"},
			[]problem{{"$.orm_config", "no ORM configured"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Deploy(tt.mapping, tt.base, tt.values)
			if !reflect.DeepEqual(got, tenantconfig.Config{}) {
				t.Errorf("partial config: %#v", got)
			}
			checkProblems(t, nil, err, tt.want)
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Fatalf("error shows the value: %v", err)
			}
		})
	}
	_, err := Deploy(deployMapping, deployBase(), map[string]string{"PG_PORT": "x", "NOPE": "1"})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 2 {
		t.Fatalf("want both problems: %v", err)
	}
}
