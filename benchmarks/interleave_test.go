package benchmarks

import (
	"math/rand/v2"
	"testing"
	"time"
)

// orders hands out the order in which an iteration runs its variants: a
// permutation drawn at random, each iteration anew.
//
// A fixed cycle of orders is not fair, however balanced its positions:
// across the cycle's seams some variants run twice in a row and others
// never do (with the six orders of three variants in turn, the first two
// variants each follow themselves once a cycle and the third never). A
// variant that follows itself finds its code, its connection and, on
// PostgreSQL, its server process just used, and runs up to twice as
// fast: the cycle made dbresolver look 2 µs slower than it is.
type orders struct {
	rng  *rand.Rand
	perm []int
}

// newOrders returns the orders of n variants. The seed is fixed: a run's
// sequence of orders is the same every time.
func newOrders(n int) *orders {
	o := &orders{rng: rand.New(rand.NewPCG(1, 2)), perm: make([]int, n)}
	for i := range o.perm {
		o.perm[i] = i
	}
	return o
}

// next returns the next iteration's order. It is valid until the next
// call.
func (o *orders) next() []int {
	o.rng.Shuffle(len(o.perm), func(i, j int) { o.perm[i], o.perm[j] = o.perm[j], o.perm[i] })
	return o.perm
}

// interleave runs every variant once per iteration of b.Loop, in an
// order drawn at random each iteration (see orders), so that the
// variants share the machine's noise; it returns each one's mean time per
// run, in ns.
func interleave(b *testing.B, variants ...func(i int)) []float64 {
	b.Helper()
	o := newOrders(len(variants))
	total := make([]time.Duration, len(variants))
	n := 0
	for b.Loop() {
		for _, k := range o.next() {
			s := time.Now()
			variants[k](n)
			total[k] += time.Since(s)
		}
		n++
	}
	per := make([]float64, len(variants))
	for k := range per {
		per[k] = float64(total[k].Nanoseconds()) / float64(max(n, 1))
	}
	return per
}
