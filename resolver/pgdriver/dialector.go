package pgdriver

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// timeZoneMatcher is gorm.io/driver/postgres's own rule (v1.6.3,
// Dialector.Initialize), applied to the text of the DSN.
var timeZoneMatcher = regexp.MustCompile("(time_zone|TimeZone|timezone)=(.*?)($|&| )")

// dialect is what WithDialector copied from a gorm.io/driver/postgres
// dialector.
type dialect struct {
	from *postgres.Config
	// plain: the dialector's pool is not built by GORM from its DSN (Conn,
	// or DriverName "pgx"), so GORM applies none of the settings below.
	plain  bool
	simple bool                  // PreferSimpleProtocol
	opts   []stdlib.OptionOpenDB // the application's, without GORM's time-zone hook
}

// WithDialector returns a copy of the driver that opens tenant pools as
// the gorm.io/driver/postgres dialector d (*postgres.Dialector or
// postgres.Dialector) opens the application's pool. See the package
// documentation for what is copied. Any other dialector, and a
// DriverName other than pgx's, is an error. On a driver WithDialector
// returned, it returns that driver when d's settings are the same and an
// error when they differ.
func (d pgDriver) WithDialector(gd gorm.Dialector) (resolver.DialectorDriver, error) {
	var cfg *postgres.Config
	switch v := gd.(type) {
	case *postgres.Dialector:
		if v != nil {
			cfg = v.Config
		}
	case postgres.Dialector:
		cfg = v.Config
	default:
		return nil, fmt.Errorf("pgdriver: dialector %T is not gorm.io/driver/postgres's: tenant pools would speak PostgreSQL to a *gorm.DB built for another database", gd)
	}
	if cfg == nil {
		return nil, errors.New("pgdriver: postgres dialector without a Config")
	}
	next, err := dialectOf(cfg)
	if err != nil {
		return nil, err
	}
	if d.dialect != nil {
		if !d.dialect.same(next) {
			return nil, errors.New("pgdriver: the dialector's settings (PreferSimpleProtocol, OptionOpenDB, DriverName or Conn) differ from the ones this driver was configured with")
		}
		return d, nil
	}
	d.dialect = next // d is a copy: the receiver is unchanged
	return d, nil
}

// dialectOf reads what GORM applies to the pool it opens for cfg.
func dialectOf(cfg *postgres.Config) (*dialect, error) {
	switch {
	case cfg.Conn != nil, cfg.DriverName == "pgx", cfg.DriverName == "pgx/v5":
		return &dialect{from: cfg, plain: true}, nil
	case cfg.DriverName != "":
		return nil, fmt.Errorf("pgdriver: the *gorm.DB opens its pool with database/sql driver %q, which tenant pools cannot use (they use pgx): drop DriverName, or give the resolver a Driver of your own", cfg.DriverName)
	}
	return &dialect{from: cfg, simple: cfg.PreferSimpleProtocol, opts: userOptions(cfg.OptionOpenDB)}, nil
}

// same reports whether pools opened with d and o behave alike. Options
// are functions, which cannot be compared: two lists agree only when
// empty, or when read from the same postgres.Config.
func (d *dialect) same(o *dialect) bool {
	if d.plain || o.plain {
		return d.plain == o.plain
	}
	return d.simple == o.simple && (d.from == o.from || len(d.opts) == 0 && len(o.opts) == 0)
}

// configure applies the dialector's settings to cc and returns the
// options to open it with.
func (d *dialect) configure(cc *pgx.ConnConfig, templateDSN string, c tenantconfig.DataSource) ([]stdlib.OptionOpenDB, error) {
	if d == nil || d.plain {
		return nil, nil
	}
	if d.simple {
		cc.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	}
	opts := d.opts
	if tz, ok := timeZone(templateDSN, c); ok {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("pgdriver: time zone %q: %w", tz, err)
		}
		cc.RuntimeParams["timezone"] = tz
		// Last, as in GORM: it replaces an OptionAfterConnect of the
		// application's.
		opts = append(opts[:len(opts):len(opts)], stdlib.OptionAfterConnect(scanTimestampsIn(loc)))
	}
	return opts, nil
}

// timeZone returns the time zone GORM would find in the tenant's DSN: its
// own, or the template's with the tenant's params written into it (a
// param named timezone, in any case, or time_zone).
func timeZone(templateDSN string, c tenantconfig.DataSource) (string, bool) {
	dsn := c.DSN
	if dsn == "" {
		for k, v := range c.Params {
			if strings.EqualFold(k, "timezone") {
				return v, true
			}
		}
		if v, ok := c.Params["time_zone"]; ok {
			return v, true
		}
		dsn = templateDSN
	}
	if m := timeZoneMatcher.FindStringSubmatch(dsn); len(m) > 2 {
		return m[2], true
	}
	return "", false
}

// scanTimestampsIn reads timestamp (without time zone) values as wall
// clock times in loc, as GORM's TimeZone handling does.
func scanTimestampsIn(loc *time.Location) func(context.Context, *pgx.Conn) error {
	return func(_ context.Context, conn *pgx.Conn) error {
		conn.TypeMap().RegisterType(&pgtype.Type{
			Name:  "timestamp",
			OID:   pgtype.TimestampOID,
			Codec: &pgtype.TimestampCodec{ScanLocation: loc},
		})
		return nil
	}
}

// userOptions drops the time-zone hook gorm.io/driver/postgres's
// Initialize appends to the dialector's own Config.OptionOpenDB for the
// application's DSN: each tenant's DSN gets its own.
func userOptions(opts []stdlib.OptionOpenDB) []stdlib.OptionOpenDB {
	out := make([]stdlib.OptionOpenDB, 0, len(opts))
	for _, o := range opts {
		if o != nil && !fromGORM(o) {
			out = append(out, o)
		}
	}
	return out
}

// fromGORM reports whether o installs an AfterConnect function defined in
// gorm.io/driver/postgres.
func fromGORM(o stdlib.OptionOpenDB) bool {
	c := reflect.ValueOf(stdlib.GetConnector(pgx.ConnConfig{}, o))
	if c.Kind() != reflect.Struct {
		return false
	}
	f := c.FieldByName("AfterConnect")
	if !f.IsValid() || f.Kind() != reflect.Func || f.IsNil() {
		return false
	}
	fn := runtime.FuncForPC(f.Pointer())
	return fn != nil && strings.HasPrefix(fn.Name(), "gorm.io/driver/postgres.")
}

var (
	_ resolver.DialectorDriver = pgDriver{}
	_ dbdriver.Checker         = pgDriver{}
)
