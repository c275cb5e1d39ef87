// Package twin_test keeps example/twin/multi the same program as
// example/twin/single, made multi-tenant by a handful of changed lines.
package twin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxChanged is the most lines of application code the conversion may
// add or change (comments, blank lines and configuration files aside).
const maxChanged = 15

// codeLines returns the lines of the package's non-test Go files that
// are code: no blank line, no comment line.
func codeLines(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for l := range strings.Lines(string(data)) {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "//") {
				continue
			}
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no code", dir)
	}
	return out
}

// diffCounts returns how many lines of b are not in a longest common
// subsequence with a (added or changed), and how many of a are not
// (removed or changed).
func diffCounts(a, b []string) (added, removed int) {
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	common := lcs[0][0]
	return len(b) - common, len(a) - common
}

func TestConversionIsSmall(t *testing.T) {
	single, multi := codeLines(t, "single"), codeLines(t, "multi")
	added, removed := diffCounts(single, multi)
	t.Logf("single: %d lines of code; multi: %d; %d added or changed, %d removed or changed", len(single), len(multi), added, removed)
	if added > maxChanged || removed > maxChanged {
		t.Errorf("the conversion adds or changes %d lines and removes or changes %d: at most %d each", added, removed, maxChanged)
	}
	if added == 0 {
		t.Error("multi is single unchanged: the conversion is not there")
	}
}

func TestDiffCounts(t *testing.T) {
	a := []string{"x", "y", "z"}
	for _, tc := range []struct {
		b              []string
		added, removed int
	}{
		{[]string{"x", "y", "z"}, 0, 0},
		{[]string{"x", "new", "y", "z"}, 1, 0},
		{[]string{"x", "Y", "z"}, 1, 1},
		{[]string{"z"}, 0, 2},
	} {
		if added, removed := diffCounts(a, tc.b); added != tc.added || removed != tc.removed {
			t.Errorf("diffCounts(%q, %q) = %d, %d; want %d, %d", a, tc.b, added, removed, tc.added, tc.removed)
		}
	}
}

// TestSameTests keeps the application's tests unchanged: multi runs
// single's tests, against one tenant (its tenantplugin.env).
func TestSameTests(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("single", "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("single has no tests (%v)", err)
	}
	for _, f := range files {
		a, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join("multi", filepath.Base(f)))
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Errorf("multi's %s differs from single's: the tests must run unchanged", filepath.Base(f))
		}
	}
	if _, err := os.Stat(filepath.Join("multi", "tenantplugin.env")); err != nil {
		t.Errorf("multi's tests need their one tenant configured: %v", err)
	}
	if _, err := os.Stat(filepath.Join("single", "tenantplugin.env")); err == nil {
		t.Error("single has a tenantplugin.env: it is the single-tenant program")
	}
}
