package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// connectTimeout bounds add's and update's attempt to reach a tenant's
// database.
const connectTimeout = 3 * time.Second

// warnUnreachable tries to connect to each PostgreSQL database cfg's
// primaries name, merged over templateDSN as the instances merge them,
// and writes a warning to w for each it cannot reach: the tenant is
// published anyway (this machine may not reach the database, or the
// database may be made next), but a newcomer learns now that its
// requests will fail, and why. The warning quotes the driver's error,
// which names the host, user and database, never a password.
func warnUnreachable(ctx context.Context, cfg tenantconfig.Config, templateDSN string, w io.Writer) {
	if !pgDSN(templateDSN) {
		templateDSN = ""
	}
	for _, orm := range slices.Sorted(maps.Keys(cfg.ORM)) {
		for _, alias := range slices.Sorted(maps.Keys(cfg.ORM[orm])) {
			ds := cfg.ORM[orm][alias].DataSource
			drv := driverOf(cfg.ORM[orm][alias].Driver, ds.DSN, templateDSN)
			if drv == nil || drv.Name() != pgdriver.DriverName {
				continue
			}
			c, err := drv.Connector(templateDSN, ds)
			if err != nil {
				continue // refused by checkDSNs or by the instances, with its reason
			}
			db := sql.OpenDB(c)
			pctx, cancel := context.WithTimeout(ctx, connectTimeout)
			err = db.PingContext(pctx)
			cancel()
			_ = db.Close()
			if err != nil {
				fmt.Fprintf(w, "tenantctl: warning: orm_config.%s.%s: cannot connect to the tenant's database: %v\n"+
					"  the tenant is published, but its requests fail until the database can be reached; "+
					"tenantctl create makes a database and migrates it (--no-connect skips this check)\n", orm, alias, err)
			}
		}
	}
}
