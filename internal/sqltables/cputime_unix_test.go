//go:build unix

package sqltables

import "syscall"

// cpuTime returns the CPU time the process has used, in nanoseconds.
func cpuTime() (int64, bool) {
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
		return 0, false
	}
	return r.Utime.Nano() + r.Stime.Nano(), true
}
