package tenantfile

import (
	"errors"
	"fmt"

	"github.com/tenantrouter/tenantplugin/internal/optapply"
)

// Option sets a check of Parse that depends on the deployment. Each
// option checks its own input; Parse returns the first option's error,
// naming the option, and reads nothing.
type Option func(*options) error

// options are the checks Parse makes beyond the file's own rules.
type options struct {
	drivers []string // empty: any driver
	service string   // empty: no service required
}

// WithDrivers allows only the named drivers, such as pgdriver.DriverName
// and sqlitedriver.DriverName ("postgres", "sqlite"). Without it any
// driver is allowed. At least one name is needed, and none may be empty.
// Several WithDrivers add to one another.
func WithDrivers(names ...string) Option {
	return func(o *options) error {
		if len(names) == 0 {
			return errors.New("WithDrivers(): no driver name")
		}
		for i, n := range names {
			if n == "" {
				return fmt.Errorf("WithDrivers: name %d is empty", i)
			}
		}
		o.drivers = append(o.drivers, names...)
		return nil
	}
}

// WithService requires every tenant to configure the named service.
// The name may not be empty.
func WithService(name string) Option {
	return func(o *options) error {
		if name == "" {
			return errors.New(`WithService(""): empty service name`)
		}
		o.service = name
		return nil
	}
}

// newOptions applies opts in order and returns the first one's error.
func newOptions(opts []Option) (options, error) {
	var o options
	if err := optapply.Apply("tenantfile", &o, opts); err != nil {
		return options{}, err
	}
	return o, nil
}
