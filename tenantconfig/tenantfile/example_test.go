package tenantfile_test

import (
	"errors"
	"fmt"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantfile"
)

// sample is a tenant config file of the service hospital.
const sample = `{
  "mapping_metadata": {"POSTGRES_URL": "orm_config.gorm.default.dsn"},
  "tenant_config": {
    "tenant-1.localhost": {"hospital": {
      "orm_config": {"gorm": {"default": {"driver": "postgres", "dsn": "postgres://t1:secret@db2/t1"}}},
      "cache_config": {"default": {"url": "redis://:secret@127.0.0.1:6379/1"}}}},
    "tenant-3.localhost": {"hospital": {
      "orm_config": {"gorm": {"default": {"name": "t3", "user": "t3", "password": "secret"}}}}}
  }
}`

// ExampleParse reads a file, and refuses a bad one with every problem
// and its path.
func ExampleParse() {
	opts := []tenantfile.Option{tenantfile.WithDrivers("postgres", "sqlite"), tenantfile.WithService("hospital")}

	_, err := tenantfile.Parse([]byte(`{"tenant_config": {"tenant-1.localhost": {"hospital": {
		"orm_config": {"gorm": {"default": {"driver": "mysql", "dsn": "mysql://u:secret@h/db", "version": 3}}}}}}}`), opts...)
	var ve *tenantfile.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p)
		}
	}

	f, err := tenantfile.Parse([]byte(sample), opts...)
	if err != nil {
		fmt.Println(err)
		return
	}
	db, _ := f.Service("hospital")["tenant-3.localhost"].Database(tenantconfig.GORM, tenantconfig.DefaultAlias)
	fmt.Println(len(f.Tenants), db.Name)
	// Output:
	// $.tenant_config["tenant-1.localhost"].hospital.orm_config.gorm.default.driver: unsupported driver "mysql" (allowed: postgres, sqlite)
	// $.tenant_config["tenant-1.localhost"].hospital.orm_config.gorm.default.version: versions are assigned by the store: remove the field
	// 2 t3
}

// ExampleDiff previews what applying a file would change, without
// secrets.
func ExampleDiff() {
	f, err := tenantfile.Parse([]byte(sample), tenantfile.WithService("hospital"))
	if err != nil {
		fmt.Println(err)
		return
	}
	current := map[string]tenantconfig.Config{ // what the store holds
		"tenant-1.localhost": {
			ORM:   map[string]map[string]tenantconfig.Database{"gorm": {"default": {DataSource: tenantconfig.DataSource{Driver: "postgres", DSN: "postgres://t1:secret@db1/t1"}}}},
			Cache: map[string]tenantconfig.Cache{"default": {URL: "redis://:secret@127.0.0.1:6379/1"}},
		},
		"tenant-2.localhost": {ORM: map[string]map[string]tenantconfig.Database{"gorm": {"default": {DataSource: tenantconfig.DataSource{Name: "t2"}}}}},
	}
	for _, e := range tenantfile.Diff(current, f.Service("hospital")) {
		fmt.Println(e)
	}
	// Output:
	// ~ tenant-1.localhost
	//     ~ orm_config.gorm.default.dsn: "postgres://t1:[redacted]@db1/t1" -> "postgres://t1:[redacted]@db2/t1"
	// - tenant-2.localhost
	// + tenant-3.localhost
	//     + orm_config.gorm.default.name = "t3"
	//     + orm_config.gorm.default.password = "[redacted]"
	//     + orm_config.gorm.default.user = "t3"
}

// ExampleDeploy sets a value from the deployment at the path the file's
// mapping_metadata gives it.
func ExampleDeploy() {
	f, err := tenantfile.Parse([]byte(sample))
	if err != nil {
		fmt.Println(err)
		return
	}
	deployed, err := tenantfile.Deploy(f.MappingMetadata, f.Service("hospital")["tenant-1.localhost"],
		map[string]string{"POSTGRES_URL": "postgres://t1:prod-secret@db.prod/t1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tenantfile.Redact(deployed).ORM[tenantconfig.GORM][tenantconfig.DefaultAlias].DSN)
	// Output:
	// postgres://t1:[redacted]@db.prod/t1
}
