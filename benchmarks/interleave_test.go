package benchmarks

import (
	"testing"
	"time"
)

// interleave runs every variant once per iteration of b.Loop, in an
// order that rotates through all orders (for two or three variants), so
// that the variants share the machine's noise; it returns each one's mean
// time per run, in ns.
func interleave(b *testing.B, variants ...func(i int)) []float64 {
	b.Helper()
	orders := [][]int{{0}}
	switch len(variants) {
	case 2:
		orders = [][]int{{0, 1}, {1, 0}}
	case 3:
		orders = [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	}
	total := make([]time.Duration, len(variants))
	n := 0
	for b.Loop() {
		for _, k := range orders[n%len(orders)] {
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
