package resolver

import (
	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
)

// DialectorDriver is a [dbdriver.Driver] that can open tenant pools the way a GORM
// dialector opens the application's own pool (protocol, time zone,
// connection hooks). [Resolver.UseDialector] configures the template's
// driver through it; pgdriver and sqlitedriver implement it.
type DialectorDriver interface {
	dbdriver.Driver
	// WithDialector returns a copy of the driver, with the same Name,
	// that opens pools with d's settings; the receiver is unchanged. It
	// returns an error naming d's type when d is for another kind of
	// database or has settings the driver cannot honour.
	//
	// Called on a driver WithDialector returned, it must return an error
	// unless d's settings are the ones that driver was configured with:
	// one resolver serves *gorm.DBs that agree.
	WithDialector(d gorm.Dialector) (DialectorDriver, error)
}
