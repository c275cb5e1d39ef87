package tenanttest

import (
	"errors"
	"sync"
)

// maxParallel bounds the databases made at once; the PostgreSQL admin
// pool has as many connections.
const maxParallel = 4

// inParallel runs f(0) to f(n-1), at most maxParallel at once, and
// returns when all have returned, with their errors joined.
func inParallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, maxParallel)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = f(i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// together runs each function on a goroutine of its own and returns when
// all have returned, with their errors joined.
func together(fs ...func() error) error {
	return inParallel(len(fs), func(i int) error { return fs[i]() })
}
