package pgdriver

import (
	"github.com/jackc/pgx/v5"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// ConnConfig returns the settings a tenant pool of src connects with:
// src.DSN parsed, or src's fields set over templateDSN, merged exactly
// as [New]'s Connector merges them (pgx.ParseConfig fills what neither
// gives from the PG* environment variables and the password file). It
// is for tools that must reach the database the application reaches,
// such as a command run with a tenant's settings; the dialector's
// settings (WithDialector) are not applied. Its errors never quote the
// DSN.
func ConnConfig(templateDSN string, src tenantconfig.DataSource) (*pgx.ConnConfig, error) {
	cc, _, err := connConfig(templateDSN, src)
	return cc, err
}
