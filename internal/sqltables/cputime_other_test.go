//go:build !unix

package sqltables

// cpuTime is not measured here.
func cpuTime() (int64, bool) { return 0, false }
