// Package example holds what the example commands share with the
// example deployment: its tenant config file, and the layout of the
// SQLite files of the embedded default.
//
// The commands under example/cmd use it as their embedded default, so
// that they run with nothing but a Go toolchain: example/cmd/migrate
// migrates the file's tenants on SQLite files when no config store is
// given, and example/cmd/server serves them.
package example

import (
	"bytes"
	_ "embed" // tenant_config.json
)

//go:embed tenant_config.json
var tenantConfig []byte

// TenantConfig returns the example deployment's tenant config file,
// tenant_config.json (the format of package tenantconfig/tenantfile):
// a copy, which the caller may keep and change.
func TenantConfig() []byte { return bytes.Clone(tenantConfig) }
