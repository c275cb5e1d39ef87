package main

import (
	"strings"
	"testing"
)

// TestHelpIsNoError: -h and --help print the usage on stdout and exit 0,
// as the example's other commands do, with no error line.
func TestHelpIsNoError(t *testing.T) {
	c := newCLI(t)
	for _, arg := range []string{"-h", "--help"} {
		code, out, errOut := c.run(arg)
		if code != 0 || !strings.HasPrefix(out, "usage: tenantctl") || errOut != "" {
			t.Errorf("tenantctl %s: exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout", arg, code, out, errOut)
		}
	}
}
