// Package optapply applies the module's functional options, one shape
// for every package: `type Option func(*options) error`.
package optapply

import "fmt"

// Apply applies opts to o in order. It returns the first error, prefixed
// with pkg ("redisstore: WithPrefix(\"\"): ..."); a nil option is an
// error naming its position.
func Apply[T any, O ~func(*T) error](pkg string, o *T, opts []O) error {
	for i, opt := range opts {
		if opt == nil {
			return fmt.Errorf("%s: option %d is nil", pkg, i)
		}
		if err := opt(o); err != nil {
			return fmt.Errorf("%s: %w", pkg, err)
		}
	}
	return nil
}
