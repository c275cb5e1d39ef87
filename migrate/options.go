package migrate

import (
	"fmt"

	"github.com/tenantrouter/tenantplugin/internal/optapply"
)

// DefaultParallel is how many tenants run at once when WithParallel is
// not given or given 0.
const DefaultParallel = 1

// Option configures [ForEach] and [AutoMigrate]. Each option checks its
// own input; an invalid one makes the call return an error naming it,
// before anything runs.
type Option func(*options) error

type options struct {
	parallel int
	progress func(Result)
}

// WithParallel runs at most n tenants at once. 0 means
// [DefaultParallel]. There is no unbounded setting, and any negative n is
// refused: each running tenant holds one of the resolver's pools, so n
// should stay under the resolver's MaxPools.
func WithParallel(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("WithParallel(%d): must be 0 (default %d) or more; there is no unbounded setting, as each running tenant holds one of the resolver's pools", n, DefaultParallel)
		}
		if n == 0 {
			n = DefaultParallel
		}
		o.parallel = n
		return nil
	}
}

// WithProgress calls fn with each database's [Result] as soon as that
// database is finished (skipped ones included): once per database, in
// the order they finish. Calls never overlap, so fn needs no lock of its
// own, but the run waits for fn: keep it short. A nil fn is refused.
func WithProgress(fn func(Result)) Option {
	return func(o *options) error {
		if fn == nil {
			return fmt.Errorf("WithProgress(nil): give a function to call with each finished database's result")
		}
		o.progress = fn
		return nil
	}
}

// applyOptions returns the defaults with opts applied, or the first
// option's error.
func applyOptions(opts []Option) (options, error) {
	o := options{parallel: DefaultParallel}
	if err := optapply.Apply("migrate", &o, opts); err != nil {
		return options{}, err
	}
	return o, nil
}
