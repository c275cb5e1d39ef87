package provision

import (
	"fmt"

	"github.com/tenantrouter/tenantplugin/internal/optapply"
)

// Option configures one Create or Delete. Each option checks its own
// input; an invalid one, or one the call does not take, makes the call
// fail naming it before anything is read or changed.
type Option func(*options) error

type options struct {
	name       string // WithDatabase
	drop       bool   // DropDatabase
	stepDone   []func(Step)
	deleteOnly string // the first option only Delete takes, for Create's refusal
}

// WithDatabase gives the tenant's database name instead of the one
// derived from its id (DatabaseName). The name must pass
// [ValidateName]. Create publishes the tenant on it; Delete uses it
// only for a tenant the store does not hold (a Create that stopped
// before publishing), and refuses one the store holds on another
// database.
func WithDatabase(name string) Option {
	return func(o *options) error {
		if err := checkName("WithDatabase: ", name); err != nil {
			return err
		}
		o.name = name
		return nil
	}
}

// DropDatabase makes Delete drop the tenant's database once it is
// unpublished, drained and its hooks have run. Without it the database
// is kept. Create refuses it.
func DropDatabase() Option {
	return func(o *options) error {
		o.drop = true
		if o.deleteOnly == "" {
			o.deleteOnly = "DropDatabase"
		}
		return nil
	}
}

// WithStepDone calls fn after each step of Create or Delete succeeds,
// with the step ([StepDatabase], ...), on the calling goroutine: for a
// progress display, or for tests that stop the work between steps. Given
// more than once, each fn is called, in the order given. A nil fn is
// refused.
func WithStepDone(fn func(Step)) Option {
	return func(o *options) error {
		if fn == nil {
			return fmt.Errorf("WithStepDone(nil): give a function to call after each step")
		}
		o.stepDone = append(o.stepDone, fn)
		return nil
	}
}

func applyOptions(opts []Option) (options, error) {
	var o options
	if err := optapply.Apply("provision", &o, opts); err != nil {
		return options{}, err
	}
	return o, nil
}

func (o options) done(s Step) {
	for _, fn := range o.stepDone {
		fn(s)
	}
}
