package tenantfile

import (
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

func pgConfig(dsn string) tenantconfig.Config {
	return tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{"gorm": {"default": {DataSource: tenantconfig.DataSource{DSN: dsn}}}}}
}

func TestDiff(t *testing.T) {
	fields := tenantconfig.Config{
		ORM: map[string]map[string]tenantconfig.Database{"gorm": {"default": {
			DataSource: tenantconfig.DataSource{Host: "db1", Port: 5432, User: "u", Password: "old-secret"},
			Replicas:   []tenantconfig.DataSource{{Host: "r1"}},
		}}},
		Cache: map[string]tenantconfig.Cache{"default": {URL: "redis://:cache-secret@c1:6379/1"}},
	}
	fields2 := fields.Clone()
	db := fields2.ORM["gorm"]["default"]
	db.Host, db.Password, db.Port, db.Replicas = "db2", "new-secret", 0, nil
	db.Params = map[string]string{"search_path": "t"}
	fields2.ORM["gorm"]["default"] = db
	fields2.Cache = nil

	versioned := pgConfig("postgres://u:pw@h/db")
	tc := versioned.ORM["gorm"]["default"]
	tc.Version = 9
	tc.Params = map[string]string{}
	versioned.ORM["gorm"]["default"] = tc
	versioned.Cache = map[string]tenantconfig.Cache{}

	from := map[string]tenantconfig.Config{
		"same":      pgConfig("postgres://u:pw@h/db"),
		"versioned": versioned,
		"removed":   pgConfig("postgres://u:removed-secret@h/db"),
		"dsn-host":  pgConfig("postgres://u:pw@h1/db"),
		"dsn-pw":    pgConfig("postgres://u:old-secret@h/db"),
		"fields":    fields,
	}
	to := map[string]tenantconfig.Config{
		"same":      pgConfig("postgres://u:pw@h/db"),
		"versioned": pgConfig("postgres://u:pw@h/db"),
		"added":     pgConfig("postgres://u:added-secret@h/db"),
		"dsn-host":  pgConfig("postgres://u:pw@h2/db"),
		"dsn-pw":    pgConfig("postgres://u:new-secret@h/db"),
		"fields":    fields2,
	}
	changes := Diff(from, to)
	var got []string
	for _, c := range changes {
		got = append(got, c.String())
	}
	want := []string{
		"+ added\n    + orm_config.gorm.default.dsn = \"postgres://u:[redacted]@h/db\"",
		"~ dsn-host\n    ~ orm_config.gorm.default.dsn: \"postgres://u:[redacted]@h1/db\" -> \"postgres://u:[redacted]@h2/db\"",
		"~ dsn-pw\n    ~ orm_config.gorm.default.dsn: changed (hidden)",
		"~ fields\n" +
			"    - cache_config.default.url\n" +
			"    ~ orm_config.gorm.default.host: \"db1\" -> \"db2\"\n" +
			"    + orm_config.gorm.default.params.search_path = \"t\"\n" +
			"    ~ orm_config.gorm.default.password: changed (hidden)\n" +
			"    - orm_config.gorm.default.port\n" +
			"    - orm_config.gorm.default.replicas[0].host",
		"- removed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Diff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	kinds := []EditKind{EditAdded, EditChanged, EditChanged, EditChanged, EditRemoved}
	for i, c := range changes {
		if c.Kind != kinds[i] {
			t.Errorf("%s: kind %v, want %v", c.Tenant, c.Kind, kinds[i])
		}
	}
	for _, s := range got {
		if strings.Contains(s, "secret") {
			t.Fatalf("a change shows a secret: %s", s)
		}
	}
	if d := Diff(nil, nil); len(d) != 0 {
		t.Fatalf("Diff(nil, nil) = %v", d)
	}
	if EditAdded.String() != "added" || EditChanged.String() != "changed" || EditRemoved.String() != "removed" || EditKind(0).String() != "EditKind(0)" {
		t.Fatal("EditKind.String")
	}
}
