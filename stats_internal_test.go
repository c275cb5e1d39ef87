package tenantplugin

import "testing"

// BenchmarkRoutedCounter is what counting adds to routing a statement:
// one atomic add, alone and from every core at once.
func BenchmarkRoutedCounter(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		var c routedCounter
		for b.Loop() {
			c.add()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var c routedCounter
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.add()
			}
		})
	})
}
